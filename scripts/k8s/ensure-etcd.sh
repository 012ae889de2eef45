#!/usr/bin/env bash
# Puts an etcd server binary into the machine-local cache and prints its path (shared/k8s-harness.md §3.2).
# Order: $TERN_K8S_CACHE/etcd/etcd if cached; Debian's etcd-server package unpacked there (no service is
# started: the .deb is downloaded and extracted, not installed); else a build of go.etcd.io/etcd/server/v3.
#
# Environment: TERN_K8S_CACHE [$HOME/.cache/tern/k8s], ETCD_GO_VERSION [v3.6.13] (only for the Go fallback)
set -euo pipefail
CACHE="${TERN_K8S_CACHE:-$HOME/.cache/tern/k8s}"
OUT="$CACHE/etcd"
if [[ -x "$OUT/etcd" ]]; then echo "$OUT/etcd"; exit 0; fi
mkdir -p "$OUT"
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-etcd.XXXXXX")
trap 'rm -rf "$work"' EXIT

from_debian() {
  command -v apt-get >/dev/null || return 1
  ( cd "$work" && { apt-get download etcd-server >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get download etcd-server >/dev/null 2>&1; }; } ) || return 1
  dpkg -x "$work"/etcd-server_*.deb "$work/root" || return 1
  install -m 0755 "$work/root/usr/bin/etcd" "$OUT/etcd.partial" && mv "$OUT/etcd.partial" "$OUT/etcd"
}

from_go() {
  local go="${GO:-$(command -v go || echo /usr/local/go/bin/go)}" version="${ETCD_GO_VERSION:-v3.6.13}"
  [[ -x "$go" ]] || return 1
  ( cd "$work" && export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local &&
    "$go" mod init tern-etcd-build >/dev/null 2>&1 && "$go" get "go.etcd.io/etcd/server/v3@$version" &&
    "$go" build -trimpath -ldflags "-s -w" -o "$OUT/etcd.partial" go.etcd.io/etcd/server/v3 ) || return 1
  mv "$OUT/etcd.partial" "$OUT/etcd"
}

if ! from_debian; then
  echo "ensure-etcd: Debian's etcd-server is not available; building etcd from Go modules" >&2
  from_go || { echo "ensure-etcd: could not get etcd (neither apt nor Go worked)" >&2; exit 1; }
fi
"$OUT/etcd" --version >&2 || true
echo "$OUT/etcd"
