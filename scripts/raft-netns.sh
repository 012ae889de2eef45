#!/usr/bin/env bash
# Network namespaces for `make raft-faults`: members n0..n2 in namespaces ternrf-n<i> at 10.99.0.1<i+1>, joined by the
# bridge ternrf0 (10.99.0.1 on the host side). Partitions are iptables DROP rules inside a member's namespace, so
# nothing outside these namespaces is touched. Needs root.
#   raft-netns.sh up [N] | down [N] | cut <i> <ip>... | cut-in <i> <ip>... | heal <i>
set -euo pipefail
N=${2:-3}
ns() { echo "ternrf-n$1"; }

case "${1:-}" in
  up)
    "$0" down "$N" 2>/dev/null || true
    ip link add ternrf0 type bridge
    # Bridged frames must not pass the host's iptables (a FORWARD policy of DROP, e.g. docker's, would cut the members).
    ip link set ternrf0 type bridge nf_call_iptables 0 2>/dev/null || true
    ip addr add 10.99.0.1/24 dev ternrf0
    ip link set ternrf0 up
    for ((i = 0; i < N; i++)); do
      ip netns add "$(ns "$i")"
      ip link add "ternrf-h$i" type veth peer name "ternrf-m$i"
      ip link set "ternrf-h$i" master ternrf0 up
      ip link set "ternrf-m$i" netns "$(ns "$i")"
      ip -n "$(ns "$i")" link set "ternrf-m$i" name eth0
      ip -n "$(ns "$i")" addr add "10.99.0.1$((i + 1))/24" dev eth0
      ip -n "$(ns "$i")" link set eth0 up
      ip -n "$(ns "$i")" link set lo up
    done
    ;;
  down)
    for ((i = 0; i < N; i++)); do ip netns del "$(ns "$i")" 2>/dev/null || true; ip link del "ternrf-h$i" 2>/dev/null || true; done
    ip link del ternrf0 2>/dev/null || true
    ;;
  cut) # both directions between member <i> and each <ip>
    i=$2; shift 2
    for ip in "$@"; do
      ip netns exec "$(ns "$i")" iptables -A INPUT -s "$ip" -j DROP
      ip netns exec "$(ns "$i")" iptables -A OUTPUT -d "$ip" -j DROP
    done
    ;;
  cut-in) # asymmetric: member <i> stops hearing each <ip>, but its own packets still go out
    i=$2; shift 2
    for ip in "$@"; do ip netns exec "$(ns "$i")" iptables -A INPUT -s "$ip" -j DROP; done
    ;;
  heal)
    ip netns exec "$(ns "$2")" iptables -F
    ;;
  *) echo "usage: $0 up [N] | down [N] | cut <i> <ip>... | cut-in <i> <ip>... | heal <i>" >&2; exit 2 ;;
esac
