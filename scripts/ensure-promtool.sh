#!/usr/bin/env bash
# Builds Prometheus's promtool from the Go module proxy and caches it by version outside the repo
# ($TERN_PROMTOOL_CACHE, default ~/.cache/tern/promtool), so tests can check /metrics output with Prometheus's
# own parser. Prints the binary's path on its last line.
#   --unless-no-go     exit 0 with a warning when there is no Go toolchain (npm test's pre-step: the tests then
#                      skip loudly); any other failure still fails
#   PROMETHEUS_VERSION [v0.316.0] (Go module versions: v0.3MM.P is Prometheus 3.MM.P)
#   GO                 [go on PATH, else /usr/local/go/bin/go]
set -euo pipefail
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
CACHE="${TERN_PROMTOOL_CACHE:-$HOME/.cache/tern/promtool}"
OUT="$CACHE/$PROMETHEUS_VERSION/promtool"
if [[ -x "$OUT" ]]; then echo "$OUT"; exit 0; fi
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
# One build at a time per cache (parallel test files or CI and a test): the others wait, then find the binary.
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
if [[ -x "$OUT" ]]; then echo "$OUT"; exit 0; fi
if [[ ! -x "$GO" ]]; then
  echo "ensure-promtool: no Go toolchain (set GO=/path/to/go)" >&2
  [[ "${1:-}" == "--unless-no-go" ]] && exit 0
  exit 1
fi

echo "ensure-promtool: building promtool $PROMETHEUS_VERSION into $OUT (first time only; minutes on 2 cores)" >&2
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-promtool-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
"$GO" mod init tern-promtool-build >/dev/null 2>&1
"$GO" get "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
mkdir -p "$(dirname "$OUT")"
"$GO" build -trimpath -ldflags "-s -w" -o "$OUT.partial" github.com/prometheus/prometheus/cmd/promtool
mv "$OUT.partial" "$OUT"
"$OUT" --version >&2 || true
echo "ensure-promtool: done in $(( $(date +%s) - started ))s" >&2
echo "$OUT"
