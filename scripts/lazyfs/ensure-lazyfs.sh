#!/usr/bin/env bash
# Builds lazyfs (this folder, go-fuse from the Go module proxy) once per source hash into the machine-local cache
# and prints the binary's path. Needs Go; mounting needs root and /dev/fuse (lazyfs mounts directly, no fusermount).
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${TERN_LAZYFS_CACHE:-$HOME/.cache/tern/lazyfs}"
hash=$(cd "$SRC" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)
OUT="$CACHE/$hash/lazyfs"
if [[ -x "$OUT" ]]; then echo "$OUT"; exit 0; fi
command -v go >/dev/null || { echo "ensure-lazyfs: no go binary on PATH (lazyfs is built from Go source)" >&2; exit 1; }
mkdir -p "$CACHE/$hash"
# Test files may build at the same time: each builds under its own name, the rename is atomic.
tmp=$(mktemp "$CACHE/$hash/lazyfs.XXXXXX")
trap 'rm -f "$tmp"' EXIT
(cd "$SRC" && go build -trimpath -buildvcs=false -o "$tmp" .) >&2
mv "$tmp" "$OUT"
echo "$OUT"
