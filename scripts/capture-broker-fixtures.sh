#!/usr/bin/env bash
# Captures the requests only a broker sends its name server, QUERY_DATA_VERSION and UNREGISTER_BROKER, from
# Apache RocketMQ's own broker, once with JSON and once with ROCKETMQ binary headers, into
# broker/test/fixtures/apache-broker/<name>.<json|binary>.bin. The broker's namesrvAddr points at
# interop/capture/recording-proxy.ts in front of an Apache name server. With forceRegister=false the broker asks
# QUERY_DATA_VERSION on each periodic registration (every 10 s, the shortest period allowed) before deciding to
# register; a graceful stop (SIGTERM) then sends UNREGISTER_BROKER. Not run by npm test; about a minute.
#
#   scripts/capture-broker-fixtures.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

node="$TERN_ROOT/node_modules/.bin/node"
namesrv_port="${CAPTURE_NAMESRV_PORT:-30876}"
proxy_port="${CAPTURE_PROXY_NAMESRV_PORT:-30877}"
broker_port="${CAPTURE_BROKER_PORT:-30911}"
fixtures="$TERN_ROOT/broker/test/fixtures/apache-broker"
work="$(mktemp -d "${TMPDIR:-/tmp}/tern-capture-broker.XXXXXX")"
proxy_pid=""
apache_dir=""

cleanup() {
  [[ -n "$apache_dir" ]] && "$TERN_ROOT/scripts/apache-rocketmq.sh" stop --dir "$apache_dir" >/dev/null || true
  [[ -n "$proxy_pid" ]] && kill "$proxy_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits up to $3 seconds for file $1 to contain pattern $2.
wait_for() {
  for _ in $(seq 1 $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "error: no \"$2\" in $1 within $3 s" >&2
  exit 1
}

[[ -x "$node" ]] || { echo "error: $node missing; run npm install first" >&2; exit 2; }
require_java_and_maven
rm -f "$fixtures"/*.bin
mkdir -p "$fixtures"
for format in json binary; do
  java_opts=""
  [[ $format == binary ]] && java_opts="-Drocketmq.serialize.type=ROCKETMQ"
  echo "== capturing $format"
  "$node" "$TERN_ROOT/interop/capture/recording-proxy.ts" --out "$work/$format" \
    --route "namesrv=127.0.0.1:$proxy_port=127.0.0.1:$namesrv_port" >"$work/$format-proxy.out" 2>&1 &
  proxy_pid=$!
  wait_for "$work/$format-proxy.out" LISTENING 5

  apache_dir="$work/apache-$format"
  APACHE_RMQ_NAMESRV_PORT="$namesrv_port" APACHE_RMQ_BROKER_PORT="$broker_port" \
    APACHE_RMQ_BROKER_NAMESRV="127.0.0.1:$proxy_port" APACHE_RMQ_JAVA_OPTS="$java_opts" \
    APACHE_RMQ_BROKER_CONF_EXTRA=$'forceRegister=false\nregisterNameServerPeriod=10000' \
    "$TERN_ROOT/scripts/apache-rocketmq.sh" start --dir "$apache_dir"
  # "code":322 is in the proxy's metadata line of each frame, whatever the header encoding.
  wait_for "$work/$format/frames.jsonl" '"code":322,' 40
  # Stops the broker first (SIGTERM: its shutdown unregisters from the still running name server).
  "$TERN_ROOT/scripts/apache-rocketmq.sh" stop --dir "$apache_dir" >/dev/null
  apache_dir=""
  kill "$proxy_pid"
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""

  "$node" "$TERN_ROOT/interop/capture/select-broker-fixtures.ts" --capture "$work/$format" --format "$format" --out "$fixtures"
done
echo "fixtures in $fixtures: $(du -sh "$fixtures" | cut -f1)"
