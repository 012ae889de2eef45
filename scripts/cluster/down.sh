#!/usr/bin/env bash
# Stops the local cluster made by up.sh and removes what it changed on the host: pods (deleted while the kubelet
# still runs, so it tears down their sandboxes and CNI networks), processes, leftover containers, iptables chains of kube-proxy and CNI, the two bridges,
# kubelet mounts and cgroups, the sysctls kubelet rewrote. KEEP_STATE=1 keeps $STATE (images, PV data).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[[ $(id -u) == 0 ]] || die "needs root"
BIN="$CACHE/$K8S_VERSION/bin"

stop() { # name [seconds]: SIGTERM, then SIGKILL after the grace period
  local name=$1 grace=${2:-10} pidf="$RUN/$1.pid"
  [[ -f "$pidf" ]] || return 0
  local pid; pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
}

# Controllers first, so nothing is re-created; then every pod, while the kubelet can still stop its sandbox and
# release its network (CNI DEL). What is left after 45 s is killed below and its network removed by hand.
stop kube-controller-manager 10
stop kube-scheduler 10
kubectl=$("$REPO/scripts/k8s/ensure-tools.sh" 2>/dev/null | tail -1)/kubectl
if [[ -x "$kubectl" ]] && running kubelet && "$kubectl" --kubeconfig "$PKI/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  "$kubectl" --kubeconfig "$PKI/admin.kubeconfig" delete pods -A --all --grace-period=0 --force --wait=false >/dev/null 2>&1
  for _ in $(seq 1 90); do
    [[ -z "$(ctr -a "$CTR_SOCK" -n k8s.io tasks ls -q 2>/dev/null)" ]] && break
    sleep 0.5
  done
fi
stop kubelet 15
# every pod sandbox still running (containerd keeps them without the kubelet)
if [[ -S "$CTR_SOCK" ]]; then
  for c in $(ctr -a "$CTR_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$CTR_SOCK" -n k8s.io tasks kill -s KILL "$c" >/dev/null 2>&1; done
  sleep 1
  for c in $(ctr -a "$CTR_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$CTR_SOCK" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1; done
  for c in $(ctr -a "$CTR_SOCK" -n k8s.io containers ls -q 2>/dev/null); do ctr -a "$CTR_SOCK" -n k8s.io containers delete "$c" >/dev/null 2>&1; done
fi
for n in coredns kube-proxy kube-apiserver etcd containerd; do stop "$n" 10; done
pkill -f "containerd-shim-runc-v2 -namespace k8s.io -id .* -address $CTR_SOCK" 2>/dev/null || true

# kube-proxy's and CNI's iptables chains (rules carry quoted comments, so go through iptables-save/restore)
[[ -x "$BIN/kube-proxy" ]] && command -v ipset >/dev/null && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1
for table in filter nat mangle; do
  rules=$(iptables-save -t "$table" 2>/dev/null) || continue
  if grep -qE '(KUBE-|CNI-)' <<<"$rules"; then
    grep -vE '^-A .*(KUBE-|CNI-)|^:(KUBE-|CNI-)' <<<"$rules" | iptables-restore -T "$table" 2>/dev/null || true
  fi
done
# networks of pods whose sandbox was killed rather than stopped: their netns (bind-mounted by CNI under
# /var/run/netns) keeps the veth pair alive; only those attached to this cluster's pod bridge are removed
for ns in $(ip -o link show master "$POD_BRIDGE" type veth 2>/dev/null | grep -o 'link-netns [^ ]*' | cut -d' ' -f2); do
  ip netns delete "$ns" 2>/dev/null || true
done
ip link del "$POD_BRIDGE" 2>/dev/null || true
ip link del "$NODE_BRIDGE" 2>/dev/null || true

# kubelet's mounts (it makes its root dir a shared mount) and the pods' netns
grep -E " ($STATE|$RUN)[^ ]*" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
  [[ -d "$cg" ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
done
if [[ -f "$STATE/sysctl.orig" ]]; then
  while IFS= read -r kv; do sysctl -qw "$kv" 2>/dev/null || true; done <"$STATE/sysctl.orig"
  rm -f "$STATE/sysctl.orig"
fi
rm -rf /dev/shm/tern-cluster-etcd "$RUN"
if [[ "${KEEP_STATE:-0}" != 1 ]]; then rm -rf "$STATE"; rm -f "$KUBECONFIG_OUT"; fi
log "cluster down"
