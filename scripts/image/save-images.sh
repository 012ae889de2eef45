#!/usr/bin/env bash
# Writes images from the local docker engine as `docker save` tarballs, one per image, for
#   ctr -n k8s.io images import FILE.tar          (fully qualified names are kept: docker.io/local/...)
#   scripts/image/save-images.sh DIR [IMAGE...]   (default: docker.io/local/tern:dev and docker.io/local/tern-operator:dev)
# File names: <repo>_<tag>.tar, e.g. tern_dev.tar, tern-operator_0.1.0.tar. Env: DOCKER (default /usr/bin/docker).
set -euo pipefail
DOCKER="${DOCKER:-/usr/bin/docker}"
dir="${1:?usage: save-images.sh DIR [IMAGE...]}"; shift
refs=("$@"); ((${#refs[@]})) || refs=(docker.io/local/tern:dev docker.io/local/tern-operator:dev)
mkdir -p "$dir"
for ref in "${refs[@]}"; do
  [[ "$ref" == */*/* ]] || ref="docker.io/$ref"
  name="${ref##*/}"; file="$dir/${name%%:*}_${name##*:}.tar"
  t0=$(date +%s)
  "$DOCKER" save -o "$file.tmp" "$ref" && mv "$file.tmp" "$file"
  printf '[image] saved %s -> %s (%s, %ss)\n' "$ref" "$file" "$(du -h "$file" | cut -f1)" "$(( $(date +%s) - t0 ))" >&2
done
