#!/usr/bin/env bash
# Builds the Go interop harness (interop/go, the official rocketmq-client-go/v2 from the Go module proxy)
# into .cache/interop/go/tern-go-interop. Does nothing when the binary is newer than every source file.
#   usage: scripts/go-interop-build.sh [--force]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src_dir="$root/interop/go"
out="$root/.cache/interop/go/tern-go-interop"

command -v go >/dev/null 2>&1 || { echo "error: go not found on PATH (Go 1.22+ is needed for interop/go)" >&2; exit 2; }
if [[ "${1:-}" != "--force" && -x "$out" && -z "$(find "$src_dir" -newer "$out" -print -quit)" ]]; then
  echo "go interop harness up to date: $out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
(cd "$src_dir" && go build -buildvcs=false -trimpath -o "$out.partial" .)
mv "$out.partial" "$out"
echo "built $out"
