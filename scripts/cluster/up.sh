#!/usr/bin/env bash
# A real single-node Kubernetes on this host (shared/k8s-harness.md option B): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy and CoreDNS as host processes; containerd, runc
# and the CNI plugins from Debian; a locally built pause image; Tern's images imported into containerd.
# Nothing is pulled: the Kubernetes binaries and CoreDNS are built from Go modules and cached by version.
#
#   scripts/cluster/up.sh        (make cluster-up)   -> prints `export KUBECONFIG=...` at the end
#   scripts/cluster/down.sh      (make cluster-down)
#
# Idempotent: a second run with everything healthy only re-imports images. Needs root.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ $(id -u) == 0 ]] || die "needs root (it starts containerd and kubelet, and creates bridges)"
started=$(date +%s)
mkdir -p "$STATE" "$RUN" "$LOGS" "$(dirname "$KUBECONFIG_OUT")"

# ---------------------------------------------------------------- packages and binaries
need_pkgs=()
for pair in containerd:containerd runc:runc conntrack:conntrack ipset:ipset iptables:iptables jq:jq openssl:openssl gcc:gcc; do
  command -v "${pair%%:*}" >/dev/null || need_pkgs+=("${pair#*:}")
done
[[ -x /usr/lib/cni/bridge ]] || need_pkgs+=(containernetworking-plugins)
if ((${#need_pkgs[@]})); then
  log "installing Debian packages: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; }
fi
BIN=$(WHAT="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy" K8S_VERSION="$K8S_VERSION" "$REPO/scripts/k8s/build-k8s.sh" | tail -1)
ETCD=$("$REPO/scripts/k8s/ensure-etcd.sh" | tail -1)
COREDNS=$("$REPO/scripts/k8s/build-coredns.sh" | tail -1)
TOOLS=$("$REPO/scripts/k8s/ensure-tools.sh" | tail -1)
KUBECTL="$TOOLS/kubectl"
export PATH="$TOOLS:$PATH"

start() { # name cmd...; logs to $LOGS/name.log, pid in $RUN/name.pid; not restarted when already running
  local name=$1; shift
  if running "$name"; then return 0; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}
wait_until() { # seconds what name cmd...: polls cmd until it succeeds, else fails with the component's log tail
  local secs=$1 what=$2 name=$3; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$name" ]] && ! running "$name"; then
      tail -20 "$LOGS/$name.log" >&2 || true; die "$name exited while waiting for $what (log: $LOGS/$name.log)"
    fi
    if (( $(date +%s) > deadline )); then
      [[ -n "$name" ]] && { tail -20 "$LOGS/$name.log" >&2 || true; }
      die "timed out after ${secs}s waiting for $what${name:+ (log: $LOGS/$name.log)}"
    fi
    sleep 0.5
  done
}
kc() { "$KUBECTL" --kubeconfig "$PKI/admin.kubeconfig" "$@"; }

# ---------------------------------------------------------------- host network and sysctls
if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
  ip link add "$NODE_BRIDGE" type bridge
fi
ip addr show dev "$NODE_BRIDGE" | grep -q "inet $NODE_IP/" || ip addr add "$NODE_IP/32" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up
# kubelet rewrites these three; keep the host's values so down.sh can put them back
if [[ ! -f "$STATE/sysctl.orig" ]]; then
  for k in vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward; do
    echo "$k=$(sysctl -n "$k")"
  done >"$STATE/sysctl.orig"
fi
sysctl -qw net.ipv4.ip_forward=1
[[ -f /proc/sys/net/bridge/bridge-nf-call-iptables ]] && sysctl -qw net.bridge.bridge-nf-call-iptables=1

# ---------------------------------------------------------------- PKI and kubeconfigs
if [[ ! -f "$PKI/admin.kubeconfig" ]]; then
  log "PKI in $PKI"
  "$(dirname "${BASH_SOURCE[0]}")/pki.sh" "$PKI" "$NODE_IP" "$NODE_NAME" "$API_PORT"
fi

# ---------------------------------------------------------------- containerd + CNI
mkdir -p "$STATE/cni" "$STATE/containerd"
cat >"$STATE/cni/10-pods.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "tern-pods", "plugins": [
  { "type": "bridge", "bridge": "$POD_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": { "type": "host-local", "dataDir": "$STATE/cni-ipam", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}] } },
  { "type": "portmap", "capabilities": {"portMappings": true} },
  { "type": "firewall" }, { "type": "loopback" } ] }
EOF
cat >"$STATE/containerd.toml" <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd"
[grpc]
  address = "$CTR_SOCK"
[ttrpc]
  address = "$CTR_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10.1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  tolerate_missing_hugepages_controller = true
  # No CAP_SYS_RESOURCE on these machines: runc cannot lower oom_score_adj (k8s-harness.md §2.1)
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
EOF
start containerd containerd --config "$STATE/containerd.toml"
wait_until 30 "containerd's socket" containerd ctr -a "$CTR_SOCK" version
ctri() { ctr -a "$CTR_SOCK" -n k8s.io "$@"; }

# ---------------------------------------------------------------- images: pause (built here) and Tern's
if ! ctri images ls -q | grep -qx 'registry.k8s.io/pause:3.10.1'; then
  log "building the pause image"
  work=$(mktemp -d); mkdir -p "$work/rootfs"
  gcc -Os -static -o "$work/rootfs/pause" "$(dirname "${BASH_SOURCE[0]}")/pause.c" && strip "$work/rootfs/pause"
  for ref in $PAUSE_TAGS; do
    python3 "$(dirname "${BASH_SOURCE[0]}")/mkoci.py" "$ref" "$work/pause.tar" "$work/rootfs" --entrypoint '["/pause"]' >/dev/null
    ctri images import "$work/pause.tar" >/dev/null
  done
  rm -rf "$work"
fi
"$(dirname "${BASH_SOURCE[0]}")/load-images.sh"

# ---------------------------------------------------------------- control plane
ETCD_DIR=/dev/shm/tern-cluster-etcd
start etcd "$ETCD" --name tern --data-dir "$ETCD_DIR" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "tern=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
start kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$API_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range="$SERVICE_CIDR" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true \
  --kubelet-preferred-address-types=InternalIP --kubelet-client-certificate="$PKI/admin.crt" --kubelet-client-key="$PKI/admin.key" \
  --cert-dir="$STATE/apiserver-certs" --v=1
wait_until 90 "kube-apiserver /readyz" kube-apiserver kc get --raw /readyz
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$PKI/admin.kubeconfig" \
  --authentication-kubeconfig="$PKI/admin.kubeconfig" --authorization-kubeconfig="$PKI/admin.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false --cluster-name=tern \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials \
  --controllers='*,-nodeipam' --v=1
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$PKI/admin.kubeconfig" \
  --authentication-kubeconfig="$PKI/admin.kubeconfig" --authorization-kubeconfig="$PKI/admin.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false --v=1

# ---------------------------------------------------------------- node: kubelet, kube-proxy, CoreDNS
mkdir -p "$STATE/kubelet"
cat >"$STATE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CTR_SOCK
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $PKI/ca.crt}}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%", memory.available: "0%"}
serializeImagePulls: false
maxPods: 110
EOF
start kubelet "$BIN/kubelet" --config "$STATE/kubelet.yaml" --kubeconfig "$PKI/kubelet.kubeconfig" \
  --root-dir "$STATE/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v=1
cat >"$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI/admin.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# zeros: leave the host's conntrack sysctls alone
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy "$BIN/kube-proxy" --config "$STATE/kube-proxy.yaml" --v=1
# CoreDNS on the node IP; no `forward`, so names outside the cluster never leave the machine
cat >"$STATE/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $PKI/admin.kubeconfig
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
}
EOF
start coredns "$COREDNS" -conf "$STATE/Corefile"

node_ready() { kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True; }
wait_until 120 "node $NODE_NAME Ready" kubelet node_ready
wait_until 60 "CoreDNS ready" coredns curl -sf http://127.0.0.1:18181/ready
wait_until 60 "the default ServiceAccount" kube-controller-manager kc -n default get serviceaccount default

# ---------------------------------------------------------------- storage: local PVs behind a default StorageClass
mkdir -p "$STATE/pv"
{
  cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  for i in $(seq -w 1 "$PV_COUNT"); do
    mkdir -p "$STATE/pv/pv$i"; chmod 0777 "$STATE/pv/pv$i"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: tern-local-pv$i, labels: {tern.io/local-pv: "true"}}
spec:
  capacity: {storage: $PV_SIZE}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local
  local: {path: $STATE/pv/pv$i}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]}]
EOF
  done
} | kc apply -f - >/dev/null
# Released volumes (their claim was deleted; reclaimPolicy Retain) are wiped and offered again, so repeated e2e
# runs on one cluster do not run out of volumes.
for pv in $(kc get pv -l tern.io/local-pv=true -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}'); do
  dir=$(kc get pv "$pv" -o jsonpath='{.spec.local.path}')
  [[ "$dir" == "$STATE/pv/"* ]] && find "$dir" -mindepth 1 -delete
  kc patch pv "$pv" --type=json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
done

cp "$PKI/admin.kubeconfig" "$KUBECONFIG_OUT"
log "cluster up in $(( $(date +%s) - started ))s: node $NODE_NAME ($NODE_IP), Kubernetes $K8S_VERSION, $PV_COUNT local PVs"
kc get nodes -o wide >&2
cat >&2 <<EOF

Use it:
  export KUBECONFIG=$KUBECONFIG_OUT
  export PATH=$TOOLS:\$PATH     # kubectl $("$KUBECTL" version --client -o json | jq -r .clientVersion.gitVersion) and helm
  kubectl get pods -A
Re-import images after \`make image\`: scripts/cluster/load-images.sh.  Stop: make cluster-down.  Logs: $LOGS/
EOF
echo "export KUBECONFIG=$KUBECONFIG_OUT"
