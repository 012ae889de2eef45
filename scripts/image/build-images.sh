#!/usr/bin/env bash
# Builds Tern's container images with a local docker engine, without any registry:
#   docker.io/local/tern:$TAG and :dev            (broker/Dockerfile: the `tern` command)
#   docker.io/local/tern-operator:$TAG and :dev   (operator/Dockerfile: the operator)
# on top of docker.io/local/node:24-bookworm-slim (scripts/image/build-base.sh), then prints image | tag | size.
#   scripts/image/build-images.sh [broker|operator ...]      (default: both)
# Env: TAG (default: appVersion of charts/tern-operator/Chart.yaml), BASE_IMAGE, DOCKER (default /usr/bin/docker),
#      SAVE_DIR (also `docker save` each image into this directory, see save-images.sh), DOCKER_BUILD_ARGS (extra),
#      VERBOSE=1 (show the docker build output; it is always kept in ~/.cache/tern/image/build-{broker,operator}.log).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export DOCKER="${DOCKER:-/usr/bin/docker}"
export DOCKER_BUILDKIT=0          # classic builder: docker.io 20.10 has no buildx here, nothing can be pulled
export BASE_IMAGE="${BASE_IMAGE:-docker.io/local/node:24-bookworm-slim}"
cache="${TERN_CACHE:-$HOME/.cache/tern}/image"; mkdir -p "$cache"
TAG="${TAG:-$(awk -F'"' '/^appVersion:/{print $2}' "$root/charts/tern-operator/Chart.yaml")}"
[[ -n "$TAG" ]] || { echo "[image] ERROR: no TAG and no appVersion in charts/tern-operator/Chart.yaml" >&2; exit 1; }
log() { printf '[image] %s\n' "$*" >&2; }

what=("$@"); ((${#what[@]})) || what=(broker operator)

"$here/dockerd.sh"
"$here/build-base.sh"

# The local base image trusts the host's extra CAs (build-base.sh); npm in the builder stages should use them too.
ca_arg=()
if [[ -n "${NODE_EXTRA_CA_CERTS:-}" || "$BASE_IMAGE" == docker.io/local/* ]]; then
  ca_arg=(--build-arg "NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt")
fi

refs=()
for w in "${what[@]}"; do
  case "$w" in
    broker) repo=docker.io/local/tern ;;
    operator) repo=docker.io/local/tern-operator ;;
    *) log "ERROR: unknown image '$w' (broker|operator)"; exit 2 ;;
  esac
  t0=$(date +%s)
  log "building $repo:$TAG from $w/Dockerfile"
  # --network host: the builder stages run `npm ci` against the npm registry, and the engine is started with
  # --iptables=false (no NAT for the default bridge), see dockerd.sh.
  build_log="$cache/build-$w.log"
  set +e
  # shellcheck disable=SC2086
  "$DOCKER" build --force-rm --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" "${ca_arg[@]}" \
    --label "org.opencontainers.image.version=$TAG" \
    --label "org.opencontainers.image.revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -f "$root/$w/Dockerfile" -t "$repo:$TAG" -t "$repo:dev" ${DOCKER_BUILD_ARGS:-} "$root" 2>&1 \
    | if [[ -n "${VERBOSE:-}" ]]; then tee "$build_log"; else cat >"$build_log"; fi
  rc=${PIPESTATUS[0]}
  set -e
  if ((rc != 0)); then
    [[ -n "${VERBOSE:-}" ]] || tail -n 30 "$build_log" >&2
    log "ERROR: docker build of $w/Dockerfile failed (rc $rc); full output: $build_log"
    exit "$rc"
  fi
  log "built $repo:$TAG in $(( $(date +%s) - t0 ))s"
  refs+=("$repo:$TAG" "$repo:dev")
  if [[ "$w" == broker ]]; then
    # the same build under a second name: the image roll of the e2e suite changes spec.image from :dev to :next
    "$DOCKER" tag "$repo:dev" "$repo:next"
    refs+=("$repo:next")
  fi
done

# No `docker image prune` here: with the classic builder the untagged images of the builder stages ARE the layer
# cache (npm ci is skipped while package*.json are unchanged). Reclaim space with `docker image prune -f`.

printf '\n%-30s | %-16s | %s\n' image tag size
printf '%s-+-%s-+-%s\n' "$(printf -- '-%.0s' {1..30})" "$(printf -- '-%.0s' {1..16})" "--------"
for ref in "$BASE_IMAGE" "${refs[@]}"; do
  size=$("$DOCKER" image inspect -f '{{.Size}}' "$ref" | awk '{printf "%.1f MB", $1/1e6}')
  printf '%-30s | %-16s | %s\n' "${ref%:*}" "${ref##*:}" "$size"
done

if [[ -n "${SAVE_DIR:-}" ]]; then
  "$here/save-images.sh" "$SAVE_DIR" "${refs[@]}"
fi
