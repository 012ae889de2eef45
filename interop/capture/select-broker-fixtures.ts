// Picks the requests an Apache RocketMQ broker sends its name server on its own (QUERY_DATA_VERSION on a periodic
// registration, UNREGISTER_BROKER at shutdown) out of a recording-proxy capture, into <out>/<name>.<format>.bin.
// Fails (exit 1) when either is missing, so a capture run cannot silently drop a fixture.
//
//   node interop/capture/select-broker-fixtures.ts --capture DIR --format json|binary --out DIR
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FrameRecord } from "./recording-proxy.ts";

const { values } = parseArgs({ options: { capture: { type: "string" }, format: { type: "string" }, out: { type: "string" } } });
const { capture, format, out } = values;
if (!capture || !format || !out) {
  console.error("usage: select-broker-fixtures.ts --capture DIR --format json|binary --out DIR");
  process.exit(2);
}

const frames: FrameRecord[] = readFileSync(join(capture, "frames.jsonl"), "utf8")
  .split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as FrameRecord);

const wanted: [name: string, code: number][] = [
  ["query-data-version-request", 322],
  ["unregister-broker-request", 104],
];

mkdirSync(out, { recursive: true });
const missing: string[] = [];
for (const [name, code] of wanted) {
  const frame = frames.find((f) => f.direction === "to-server" && f.kind === "request" && f.code === code);
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
