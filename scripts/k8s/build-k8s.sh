#!/usr/bin/env bash
# Builds Kubernetes server binaries from the Go module proxy (k8s.io/kubernetes is a Go module whose
# staging modules are published as k8s.io/*@v0.MINOR.PATCH) and caches them by version outside the repo,
# so CI on the same machine reuses them and a fresh machine rebuilds them (recipe: shared/k8s-harness.md §3.1).
#
#   scripts/k8s/build-k8s.sh            -> prints the bin folder on its last line
#
# Environment (defaults in brackets):
#   K8S_VERSION     [v1.34.4]
#   TERN_K8S_CACHE  [$HOME/.cache/tern/k8s]; binaries land in $TERN_K8S_CACHE/$K8S_VERSION/bin
#   WHAT            [kube-apiserver kube-controller-manager]  (option C; issue 7 adds kubelet, kube-proxy, ...)
#   GO              [go on PATH, else /usr/local/go/bin/go]
set -euo pipefail
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${TERN_K8S_CACHE:-$HOME/.cache/tern/k8s}"
OUT="$CACHE/$K8S_VERSION/bin"
WHAT="${WHAT:-kube-apiserver kube-controller-manager}"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"

missing=""
for c in $WHAT; do [[ -x "$OUT/$c" ]] || missing="$missing $c"; done
if [[ -z "$missing" ]]; then echo "$OUT"; exit 0; fi
[[ -x "$GO" ]] || { echo "build-k8s: no Go toolchain (set GO=/path/to/go)" >&2; exit 1; }
if ! command -v jq >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt-get install -y -qq jq >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq jq >/dev/null 2>&1; } || true
fi
command -v jq >/dev/null || { echo "build-k8s: jq is needed (apt-get install -y jq)" >&2; exit 1; }

echo "build-k8s: building$missing $K8S_VERSION into $OUT (first time only; several minutes on 2 cores)" >&2
started=$(date +%s)
staging="v0.${K8S_VERSION#v1.}"              # v1.34.4 -> v0.34.4
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-k8s-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
"$GO" mod init tern-k8s-build >/dev/null 2>&1
gomod=$("$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r .GoMod)
"$GO" mod edit -go="$(awk '/^go /{print $2; exit}' "$gomod")"
# staging replaces (./staging/src/k8s.io/X) become k8s.io/X@v0.MINOR.PATCH; other replaces are copied as they are
"$GO" mod edit -json "$gomod" | jq -r '.Replace[]? |
  if (.New.Path|startswith("./staging/")) then "\(.Old.Path)=\(.Old.Path)@'"$staging"'"
  else "\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)\(if .New.Version then "@"+.New.Version else "" end)" end' |
  while read -r r; do "$GO" mod edit -replace="$r"; done
for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s.io\//{print $1}' "$gomod"); do
  "$GO" mod edit -json | jq -e --arg m "$m" '.Replace[]?|select(.Old.Path==$m)' >/dev/null || "$GO" mod edit -replace="$m=$m@$staging"
done
pkgs=""; for c in $missing; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
# shellcheck disable=SC2046
"$GO" get $(for p in $pkgs; do echo "$p@$K8S_VERSION"; done)
ld="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
mkdir -p "$OUT.partial"
# shellcheck disable=SC2086
"$GO" build -trimpath -tags selinux,notest -ldflags "$ld" -o "$OUT.partial/" $pkgs
mkdir -p "$OUT"
for c in $missing; do mv "$OUT.partial/$c" "$OUT/$c"; done
rmdir "$OUT.partial" 2>/dev/null || true
"$OUT/kube-apiserver" --version >&2 || true
echo "build-k8s: done in $(( $(date +%s) - started ))s" >&2
echo "$OUT"
