#!/usr/bin/env bash
# Captures requests the official Java client signs with AclClientRPCHook into broker/test/fixtures/java-client-acl/:
# a Tern namesrv + broker with authentication on bind CAPTURE_UPSTREAM_IP (default 127.0.0.2) while the broker
# advertises 127.0.0.1, where interop/capture/recording-proxy.ts listens, so every frame crosses the proxy.
#   scripts/capture-acl-fixtures.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/java-tools.sh"

node="$TERN_ROOT/node_modules/.bin/node"
upstream_ip="${CAPTURE_UPSTREAM_IP:-127.0.0.2}"
namesrv_port="${CAPTURE_NAMESRV_PORT:-29876}"
broker_port="${CAPTURE_BROKER_PORT:-20911}"
fixtures="$TERN_ROOT/broker/test/fixtures/java-client-acl"
access_key=fixture-user
secret_key=fixture-secret
work="$(mktemp -d "${TMPDIR:-/tmp}/tern-acl-capture.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

auth="authenticationEnabled=true
initAuthenticationUser={\"username\":\"$access_key\",\"password\":\"$secret_key\"}
innerClientAuthenticationCredentials={\"accessKey\":\"$access_key\",\"secretKey\":\"$secret_key\"}"
printf '%s\nlistenPort=%s\nbindAddress=%s\n' "$auth" "$namesrv_port" "$upstream_ip" >"$work/namesrv.conf"
printf '%s\nlistenPort=%s\nbindAddress=%s\nbrokerIP1=127.0.0.1\nbrokerName=broker-a\nnamesrvAddr=127.0.0.1:%s\nstorePathRootDir=%s\n' \
  "$auth" "$broker_port" "$upstream_ip" "$namesrv_port" "$work/store" >"$work/broker.conf"

"$node" "$TERN_ROOT/interop/capture/recording-proxy.ts" --out "$work/capture" \
  --route "namesrv=127.0.0.1:$namesrv_port=$upstream_ip:$namesrv_port" \
  --route "broker=127.0.0.1:$broker_port=$upstream_ip:$broker_port" >"$work/proxy.out" 2>&1 &
pids+=($!)
"$node" "$TERN_ROOT/broker/bin/tern.mjs" namesrv -c "$work/namesrv.conf" >"$work/namesrv.out" 2>&1 &
pids+=($!)
sleep 1
"$node" "$TERN_ROOT/broker/bin/tern.mjs" broker -c "$work/broker.conf" >"$work/broker.out" 2>&1 &
pids+=($!)
sleep 3
"$TERN_ROOT/scripts/java-interop.sh" produce -n "127.0.0.1:$namesrv_port" -t AclFixtureTopic -c 1 --size 16 --mode sync \
  --access-key "$access_key" --secret-key "$secret_key" >"$work/client.out"

mkdir -p "$fixtures"
# The client's first route lookup and its send: one signed request without a body, one with.
"$node" -e '
const fs = require("node:fs");
const [dir, out] = process.argv.slice(1);
const records = fs.readFileSync(`${dir}/frames.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const pick = (code, name) => {
  const r = records.find((f) => f.direction === "to-server" && f.kind === "request" && f.code === code && f.header.extFields?.Signature);
  if (!r) throw new Error(`no signed request ${code} captured`);
  fs.copyFileSync(`${dir}/${r.file}`, `${out}/${name}.json.bin`);
};
pick(105, "get-routeinfo-by-topic-signed-request");
pick(310, "send-message-v2-signed-request");
' "$work/capture" "$fixtures"
ls -l "$fixtures"
