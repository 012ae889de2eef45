// The part every select-*-fixtures script shares: read a recording-proxy capture (--capture DIR), copy the first
// client-to-server request of each wanted code to <out>/<name>.<format>.bin, and exit 1 naming any that is missing,
// so a capture run cannot silently drop a fixture.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FrameRecord } from "./recording-proxy.ts";

/** A fixture name, the request code it holds, and optionally a further test the frame must pass. */
export type WantedFrame = [name: string, code: number, also?: (f: FrameRecord) => boolean];

export function selectRequestFrames(script: string, wanted: WantedFrame[]): void {
  const { values } = parseArgs({ options: { capture: { type: "string" }, format: { type: "string" }, out: { type: "string" } } });
  const { capture, format, out } = values;
  if (!capture || !format || !out) {
    console.error(`usage: ${script} --capture DIR --format json|binary --out DIR`);
    process.exit(2);
  }
  const frames: FrameRecord[] = readFileSync(join(capture, "frames.jsonl"), "utf8")
    .split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as FrameRecord);

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
}
