#!/usr/bin/env bash
# Starts one docker engine (Debian's docker.io 20.10) for `make image`, unless one already answers on
# /var/run/docker.sock. Idempotent; needs root.
#  * Its default runtime is scripts/image/runc-nosysres, a runc wrapper that drops CAP_SYS_RESOURCE from OCI
#    specs (that capability is missing from the bounding set on these machines, so plain runc fails for
#    --privileged; see /work/shared/k8s-harness.md §2 pitfall 2). The wrapper is copied to ~/.cache/tern/image/
#    so that the daemon does not depend on this checkout staying where it is.
#  * Only ONE dockerd may run here (pitfall 10); this script never starts a second one.
#  * --iptables=false: the engine leaves the host's iptables (and the FORWARD policy) alone, so that a
#    Kubernetes node on the same machine keeps its pod networking. Builds and test runs use --network host.
#    Set TERN_DOCKERD_IPTABLES=true to let docker manage iptables (then bridge-networked containers reach out).
#  * dockerd starts its own containerd (under /var/run/docker/containerd) because /run/containerd/containerd.sock
#    does not exist; it never touches another containerd.
# Env: DOCKER (client, default /usr/bin/docker), TERN_DOCKERD_LOG (default ~/.cache/tern/dockerd.log),
#      TERN_DOCKERD_WAIT (seconds, default 60).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
cache="${TERN_CACHE:-$HOME/.cache/tern}"
log_file="${TERN_DOCKERD_LOG:-$cache/dockerd.log}"
wait_s="${TERN_DOCKERD_WAIT:-60}"
sock=/var/run/docker.sock
log() { printf '[dockerd] %s\n' "$*" >&2; }
die() { printf '[dockerd] ERROR: %s\n' "$*" >&2; exit 1; }

answers() { [[ -S "$sock" ]] && DOCKER_HOST="unix://$sock" "$DOCKER" info >/dev/null 2>&1; }

if [[ -x "$DOCKER" ]] && answers; then
  log "a docker engine already answers on $sock"
  exit 0
fi
[[ $(id -u) -eq 0 ]] || die "no docker engine answers on $sock, and starting one needs root"

if [[ ! -x /usr/sbin/dockerd || ! -x "$DOCKER" ]]; then
  log "installing docker.io (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends docker.io >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y --no-install-recommends docker.io >/dev/null; } \
    || die "apt-get install docker.io failed"
fi
command -v jq >/dev/null || { apt-get install -y jq >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y jq >/dev/null; }; } || die "jq (needed by the runc wrapper) is missing"
[[ -x /usr/sbin/runc ]] || die "/usr/sbin/runc is missing (Debian package runc, a dependency of docker.io)"

# A dockerd process that does not answer (still starting, or wedged): wait for it rather than start another.
pid=""
if [[ -f /var/run/docker.pid ]]; then
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  [[ -n "$pid" && -d /proc/$pid && "$(cat /proc/$pid/comm 2>/dev/null)" == dockerd ]] || pid=""
fi
if [[ -z "$pid" ]]; then
  other=$(pgrep -x dockerd || true)
  [[ -z "$other" ]] || die "a dockerd (pid $other) runs but does not answer on $sock; refusing to start a second one (stop it or fix it)"
  mkdir -p "$cache/image" "$(dirname "$log_file")"
  install -m 0755 "$here/runc-nosysres" "$cache/image/runc-nosysres"
  iptables_flag="--iptables=${TERN_DOCKERD_IPTABLES:-false}"
  log "starting dockerd (log: $log_file)"
  setsid nohup /usr/sbin/dockerd \
    --host "unix://$sock" \
    --add-runtime "runc-nosr=$cache/image/runc-nosysres" --default-runtime runc-nosr \
    "$iptables_flag" \
    >>"$log_file" 2>&1 </dev/null &
  pid=$!
  disown || true
else
  log "dockerd pid $pid exists but does not answer yet; waiting for it"
fi

for ((i = 0; i < wait_s * 4; i++)); do
  answers && { log "docker engine ready (dockerd pid $pid, $("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null))"; exit 0; }
  [[ -d /proc/$pid ]] || die "dockerd exited during start-up; last lines of $log_file:
$(tail -n 20 "$log_file")"
  sleep 0.25
done
die "dockerd (pid $pid) did not answer on $sock within ${wait_s}s; see $log_file"
