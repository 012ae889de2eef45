#!/usr/bin/env bash
# Captures wire fixtures from the official Java client talking to Apache RocketMQ, once with JSON headers
# and once with ROCKETMQ binary headers, into broker/test/fixtures/java-client/<name>.<json|binary>.bin.
# Every connection (client->namesrv, client->broker, broker->namesrv) runs through
# interop/capture/recording-proxy.ts. The servers bind a second loopback address (CAPTURE_UPSTREAM_IP,
# default 127.0.0.2; on macOS add it with `sudo ifconfig lo0 alias 127.0.0.2`) while the broker advertises
# 127.0.0.1, where the proxy listens, so route data sends clients through the proxy too.
#
#   scripts/capture-fixtures.sh [--keep]     (--keep leaves the raw capture directory in place)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

keep=false
[[ "${1:-}" == "--keep" ]] && keep=true
node="$TERN_ROOT/node_modules/.bin/node"
upstream_ip="${CAPTURE_UPSTREAM_IP:-127.0.0.2}"
namesrv_port="${CAPTURE_NAMESRV_PORT:-29876}"
broker_port="${CAPTURE_BROKER_PORT:-20911}"
namesrv="127.0.0.1:$namesrv_port"
fixtures="$TERN_ROOT/broker/test/fixtures/java-client"
topic=FixtureTopic
group=FixtureGroup
work="$(mktemp -d "${TMPDIR:-/tmp}/tern-capture.XXXXXX")"
proxy_pid=""
apache_dir=""

cleanup() {
  [[ -n "$apache_dir" ]] && "$TERN_ROOT/scripts/apache-rocketmq.sh" stop --dir "$apache_dir" >/dev/null || true
  [[ -n "$proxy_pid" ]] && kill "$proxy_pid" 2>/dev/null || true
  if $keep; then echo "raw capture kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

[[ -x "$node" ]] || { echo "error: $node missing; run npm install first" >&2; exit 2; }
require_java_and_maven
"$TERN_ROOT/scripts/java-interop-build.sh"

client() {
  JAVA_OPTS="$client_opts" "$TERN_ROOT/scripts/java-interop.sh" "$@" >>"$work/$format-client.out"
}

rm -f "$fixtures"/*.bin
for format in json binary; do
  client_opts=""
  [[ $format == binary ]] && client_opts="-Drocketmq.serialize.type=ROCKETMQ"
  echo "== capturing $format"

  # The proxy must be listening before the broker starts, so that REGISTER_BROKER is recorded too.
  "$node" "$TERN_ROOT/interop/capture/recording-proxy.ts" --out "$work/$format" \
    --route "namesrv=127.0.0.1:$namesrv_port=$upstream_ip:$namesrv_port" \
    --route "broker=127.0.0.1:$broker_port=$upstream_ip:$broker_port" >"$work/$format-proxy.out" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 1 50); do
    [[ "$(grep -c LISTENING "$work/$format-proxy.out" 2>/dev/null)" == 2 ]] && break
    sleep 0.1
  done
  [[ "$(grep -c LISTENING "$work/$format-proxy.out")" == 2 ]] || { cat "$work/$format-proxy.out" >&2; exit 1; }

  apache_dir="$work/apache-$format"
  APACHE_RMQ_BIND="$upstream_ip" APACHE_RMQ_BROKER_IP=127.0.0.1 APACHE_RMQ_BROKER_NAMESRV="$namesrv" \
    APACHE_RMQ_NAMESRV_PORT="$namesrv_port" APACHE_RMQ_BROKER_PORT="$broker_port" \
    APACHE_RMQ_JAVA_OPTS="$client_opts" "$TERN_ROOT/scripts/apache-rocketmq.sh" start --dir "$apache_dir"

  # Small bodies keep the fixtures small. The first send meets an unknown topic (route code 17, then
  # TBW102); the consumer then finds the auto-created topic, pulls FOUND and commits offsets (oneway 15);
  # the second consumer of the same group gets a stored offset back from QUERY_CONSUMER_OFFSET.
  client produce -n "$namesrv" -t "$topic" -c 2 --size 16 --mode sync
  client produce -n "$namesrv" -t "$topic" -c 3 --size 16 --mode sync --batch 3 --key-prefix batch-
  client consume -n "$namesrv" -t "$topic" -g "$group" -c 5 --timeout-ms 60000
  client produce -n "$namesrv" -t "$topic" -c 1 --size 16 --mode sync --key-prefix late-
  client consume -n "$namesrv" -t "$topic" -g "$group" -c 1 --timeout-ms 60000

  "$TERN_ROOT/scripts/apache-rocketmq.sh" stop --dir "$apache_dir" >/dev/null
  apache_dir=""
  kill "$proxy_pid"
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""

  "$node" "$TERN_ROOT/interop/capture/select-fixtures.ts" --capture "$work/$format" --format "$format" \
    --topic "$topic" --group "$group" --out "$fixtures"
done
echo "fixtures in $fixtures: $(du -sh "$fixtures" | cut -f1)"
