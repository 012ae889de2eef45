#!/usr/bin/env bash
# Captures the request headers of the official Java client's MQClientAPIImpl calls that the Apache capture
# (scripts/capture-fixtures.sh) does not produce: admin, offset lookups, queries, send-back, end-transaction,
# name server KV config. The Java client talks to a Tern standalone through interop/capture/recording-proxy.ts,
# once with JSON and once with ROCKETMQ binary headers; only the client's request frames are kept, into
# broker/test/fixtures/java-client-api/<name>.<json|binary>.bin. Needs the Java harness jars (JDK 17 + Maven).
#
#   scripts/capture-client-api-fixtures.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

node="$TERN_ROOT/node_modules/.bin/node"
namesrv_port="${CAPTURE_NAMESRV_PORT:-29976}"
proxy_namesrv_port="${CAPTURE_PROXY_NAMESRV_PORT:-29977}"
broker_port="${CAPTURE_BROKER_PORT:-21011}"
# The broker binds a second loopback address and advertises 127.0.0.1, where the proxy listens, so that
# route data sends the client through the proxy too (Linux routes all of 127/8 to loopback).
upstream_ip="${CAPTURE_UPSTREAM_IP:-127.0.0.2}"
fixtures="$TERN_ROOT/broker/test/fixtures/java-client-api"
work="$(mktemp -d "${TMPDIR:-/tmp}/tern-capture-api.XXXXXX")"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$1" >&2
  exit 1
}

"$TERN_ROOT/scripts/java-interop-build.sh" >/dev/null
rm -f "$fixtures"/*.bin
mkdir -p "$fixtures"
printf 'bindAddress=%s\nbrokerClusterName=DefaultCluster\n' "$upstream_ip" >"$work/broker.conf"
for format in json binary; do
  java_opts=""
  [[ $format == binary ]] && java_opts="-Drocketmq.serialize.type=ROCKETMQ"
  echo "== capturing $format"
  "$node" "$TERN_ROOT/interop/capture/recording-proxy.ts" --out "$work/$format" \
    --route "namesrv=127.0.0.1:$proxy_namesrv_port=127.0.0.1:$namesrv_port" \
    --route "broker=127.0.0.1:$broker_port=$upstream_ip:$broker_port" >"$work/$format-proxy.out" 2>&1 &
  pids+=($!)
  "$node" --disable-warning=ExperimentalWarning "$TERN_ROOT/broker/src/cli/main.ts" standalone -c "$work/broker.conf" \
    --data "$work/$format-data" --namesrv-port "$namesrv_port" --broker-port "$broker_port" >"$work/$format-tern.out" 2>&1 &
  pids+=($!)
  wait_for "$work/$format-proxy.out" "LISTENING broker"
  wait_for "$work/$format-tern.out" "Tern is running"

  # shellcheck disable=SC2086 # java_opts is a list of options
  java -Xmx128m -XX:+UseSerialGC $java_opts "-Duser.home=$work/home" -Drocketmq.client.logUseSlf4j=false \
    -cp "$TERN_ROOT/.cache/interop/java/lib/*" "$TERN_ROOT/interop/capture/CaptureClientApiCalls.java" \
    "127.0.0.1:$proxy_namesrv_port" "127.0.0.1:$broker_port" broker-a DefaultCluster | tee "$work/$format-calls.out"

  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
  "$node" "$TERN_ROOT/interop/capture/select-client-api-fixtures.ts" --capture "$work/$format" --format "$format" --out "$fixtures"
done
echo "fixtures in $fixtures: $(du -sh "$fixtures" | cut -f1)"
