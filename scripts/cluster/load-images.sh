#!/usr/bin/env bash
# Imports Tern's images (docker.io/local/tern*, built by `make image`) from the local docker engine into the
# cluster's containerd, like `kind load docker-image`. Skips images whose docker ID was imported already.
#   scripts/cluster/load-images.sh [IMAGE...]     (default: every docker.io/local/tern* image)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
DOCKER="${DOCKER:-/usr/bin/docker}"
[[ -S "$CTR_SOCK" ]] || die "the cluster's containerd is not running ($CTR_SOCK); make cluster-up first"
if ! "$DOCKER" info >/dev/null 2>&1; then
  log "no docker engine answers: Tern images not imported (make image builds them and starts one)"
  exit 0
fi
refs=("$@")
if ((${#refs[@]} == 0)); then
  mapfile -t refs < <("$DOCKER" images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(docker\.io/)?local/tern(-operator)?:' | grep -v ':<none>$' || true)
fi
((${#refs[@]})) || { log "no docker.io/local/tern* images in docker yet (make image)"; exit 0; }
seen="$STATE/images.imported"; touch "$seen"
# one `docker save` per image ID, carrying every tag of it that is not in containerd yet
in_containerd=$(ctr -a "$CTR_SOCK" -n k8s.io images ls -q)
declare -A byid=()
for ref in "${refs[@]}"; do
  id=$("$DOCKER" image inspect -f '{{.Id}}' "$ref")
  full="docker.io/${ref#docker.io/}"
  if grep -qx "$full $id" "$seen" && grep -qx "$full" <<<"$in_containerd"; then continue; fi
  byid[$id]+="$ref "
done
for id in "${!byid[@]}"; do
  t0=$(date +%s)
  # shellcheck disable=SC2086
  "$DOCKER" save ${byid[$id]} | ctr -a "$CTR_SOCK" -n k8s.io images import - >/dev/null
  for ref in ${byid[$id]}; do
    full="docker.io/${ref#docker.io/}"
    grep -v "^$full " "$seen" >"$seen.tmp" || true; echo "$full $id" >>"$seen.tmp"; mv "$seen.tmp" "$seen"
  done
  log "imported ${byid[$id]}(${id:7:12}) in $(( $(date +%s) - t0 ))s"
done
