# Shared settings of the local single-node cluster (sourced by up.sh, down.sh and status.sh).
# Everything lives under $STATE (persistent) and $RUN (sockets, pid files); nothing outside them is written except
# the node bridge, the pod bridge, iptables chains made by kube-proxy/CNI and the sysctls kubelet sets (restored).
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${TERN_K8S_CACHE:-$HOME/.cache/tern/k8s}"
STATE="${TERN_CLUSTER_STATE:-/var/lib/tern-cluster}"
RUN="${TERN_CLUSTER_RUN:-/run/tern-cluster}"
NODE_NAME="${TERN_NODE_NAME:-tern-node}"
NODE_BRIDGE=ternnode0
NODE_IP="${TERN_NODE_IP:-10.88.76.1}"
POD_BRIDGE=terncni0
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
API_PORT=6443
ETCD_CLIENT_PORT=22379
ETCD_PEER_PORT=22380
# Where the kubeconfig for users goes (inside the repo's ignored .cache so `make e2e` finds it).
KUBECONFIG_OUT="${TERN_CLUSTER_KUBECONFIG:-$REPO/.cache/cluster/kubeconfig}"
PKI="$STATE/pki"
LOGS="$STATE/logs"
CTR_SOCK="$RUN/containerd.sock"
# Pre-created local PersistentVolumes (no provisioner on a bare node).
PV_COUNT="${TERN_CLUSTER_PVS:-24}"
PV_SIZE="${TERN_CLUSTER_PV_SIZE:-20Gi}"
PAUSE_TAGS="registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.10.1"

log() { printf '%s cluster: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Whether the component NAME started by up.sh is alive (pid file in $RUN).
running() { [[ -f "$RUN/$1.pid" ]] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
