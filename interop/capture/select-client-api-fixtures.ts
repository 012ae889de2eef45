// Picks the request frames of CaptureClientApiCalls.java out of a recording-proxy capture and copies them to
// <out>/<name>.<format>.bin. Only requests are kept: the server in that run is Tern, so its answers are no
// reference. Fails (exit 1) when any wanted frame is missing.
//
//   node interop/capture/select-client-api-fixtures.ts --capture DIR --format json|binary --out DIR
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FrameRecord } from "./recording-proxy.ts";

const { values } = parseArgs({ options: { capture: { type: "string" }, format: { type: "string" }, out: { type: "string" } } });
const { capture, format, out } = values;
if (!capture || !format || !out) {
  console.error("usage: select-client-api-fixtures.ts --capture DIR --format json|binary --out DIR");
  process.exit(2);
}

const frames: FrameRecord[] = readFileSync(join(capture, "frames.jsonl"), "utf8")
  .split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as FrameRecord);

const uniqueKeyQuery = (f: FrameRecord) => f.header.extFields?._UNIQUE_KEY_QUERY === "true";
const wanted: [name: string, code: number, also?: (f: FrameRecord) => boolean][] = [
  ["update-and-create-topic-request", 17],
  ["get-max-offset-request", 30],
  ["get-min-offset-request", 31],
  ["get-earliest-msg-storetime-request", 32],
  ["search-offset-by-timestamp-request", 29],
  ["view-message-by-id-request", 33],
  ["query-message-request", 12, (f) => !uniqueKeyQuery(f)],
  ["query-message-unique-key-request", 12, uniqueKeyQuery],
  ["consumer-send-msg-back-request", 36],
  ["get-topic-config-request", 351],
  ["get-topic-stats-info-request", 202],
  ["get-consume-stats-request", 208],
  ["query-topic-consume-by-who-request", 300],
  ["get-consumer-connection-list-request", 203],
  ["get-producer-connection-list-request", 204],
  ["invoke-broker-to-reset-offset-request", 222],
  ["end-transaction-oneway-request", 37],
  ["put-kv-config-request", 100],
  ["get-kv-config-request", 101],
  ["get-kvlist-by-namespace-request", 219],
  ["delete-kv-config-request", 102],
  ["get-topics-by-cluster-request", 224],
  ["delete-subscriptiongroup-request", 207],
  ["delete-topic-in-broker-request", 215],
  ["delete-topic-in-namesrv-request", 216],
  ["wipe-write-perm-of-broker-request", 205],
];

mkdirSync(out, { recursive: true });
const missing: string[] = [];
for (const [name, code, also] of wanted) {
  const frame = frames.find((f) => f.direction === "to-server" && f.kind !== "response" && f.code === code && (also?.(f) ?? true));
  if (!frame) {
    missing.push(name);
    continue;
  }
  copyFileSync(join(capture, frame.file), join(out, `${name}.${format}.bin`));
}
if (missing.length > 0) {
  console.error(`missing from the ${format} capture: ${missing.join(", ")}`);
  process.exit(1);
}
console.log(`${wanted.length} ${format} request frames selected into ${out}`);
