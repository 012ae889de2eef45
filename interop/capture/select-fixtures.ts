// Picks the fixture frames out of a recording-proxy capture and copies them to <out>/<name>.<format>.bin.
//
//   node interop/capture/select-fixtures.ts --capture DIR --format json|binary --topic T --group G --out DIR
//
// Fails (exit 1) when any wanted frame is missing, so a capture run cannot silently drop a fixture.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FrameRecord } from "./recording-proxy.ts";
import { decodeHeader } from "./remoting-frame.ts";

const { values } = parseArgs({
  options: {
    capture: { type: "string" },
    format: { type: "string" },
    topic: { type: "string" },
    group: { type: "string" },
    out: { type: "string" },
  },
});
const { capture, format, topic, group, out } = values;
if (!capture || !format || !topic || !group || !out) {
  console.error("usage: select-fixtures.ts --capture DIR --format json|binary --topic T --group G --out DIR");
  process.exit(2);
}

const frames: FrameRecord[] = readFileSync(join(capture, "frames.jsonl"), "utf8")
  .split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line) as FrameRecord);

function body(frame: FrameRecord): Buffer {
  const bytes = readFileSync(join(capture!, frame.file));
  return bytes.subarray(bytes.length - frame.bodyLength);
}

function responseTo(request: FrameRecord): FrameRecord | undefined {
  return frames.find((f) => f.kind === "response" && f.conn === request.conn && f.opaque === request.header.opaque &&
    f.direction !== request.direction && f.seq > request.seq);
}

function requestOf(response: FrameRecord): FrameRecord | undefined {
  return frames.find((f) => f.kind === "request" && f.conn === response.conn && f.opaque === response.opaque &&
    f.direction !== response.direction && f.seq < response.seq);
}

type Matcher = (frame: FrameRecord) => boolean;
const ext = (frame: FrameRecord, key: string) => frame.header.extFields?.[key];
const request = (code: number, also: Matcher = () => true): Matcher =>
  (f) => f.kind === "request" && f.code === code && also(f);
const response = (requestCode: number, responseCode: number, also: Matcher = () => true): Matcher =>
  (f) => f.kind === "response" && f.requestCode === requestCode && f.code === responseCode && also(f);
const answeredWith = (responseCode: number, also: Matcher = () => true): Matcher =>
  (f) => responseTo(f)?.code === responseCode && also(f);
const answers = (matcher: Matcher): Matcher => (f) => {
  const req = requestOf(f);
  return req !== undefined && matcher(req);
};

const routeForTopic: Matcher = (f) => ext(f, "topic") === topic;
const consumerHeartbeat: Matcher = (f) => {
  const heartbeat = JSON.parse(body(f).toString("utf8")) as { consumerDataSet?: { groupName: string }[] };
  return heartbeat.consumerDataSet?.some((c) => c.groupName === group) ?? false;
};
// The FOUND pull answer carrying the most messages, so the fixture exercises back-to-back records.
const largestPullFound = frames
  .filter((f) => f.kind === "response" && f.requestCode === 11 && f.code === 0 && f.bodyLength > 0)
  .reduce<FrameRecord | undefined>((best, f) => (best && best.bodyLength >= f.bodyLength ? best : f), undefined);

// An offset committed by the first consumer and handed to the second one.
const storedOffset: Matcher = (f) => Number(ext(f, "offset") ?? 0) > 0;

const wanted: [name: string, matcher: Matcher][] = [
  ["get-routeinfo-by-topic-request", request(105, answeredWith(0, routeForTopic))],
  ["get-routeinfo-by-topic-response", response(105, 0, answers(routeForTopic))],
  ["get-routeinfo-by-topic-not-exist-response", response(105, 17, answers(routeForTopic))],
  ["send-message-v2-request", request(310)],
  ["send-message-v2-response", response(310, 0)],
  ["send-batch-message-request", request(320)],
  ["send-batch-message-response", response(320, 0)],
  ["heart-beat-consumer-request", request(34, consumerHeartbeat)],
  ["heart-beat-response", response(34, 0, answers(consumerHeartbeat))],
  ["get-consumer-list-by-group-request", request(38)],
  ["get-consumer-list-by-group-response", response(38, 0)],
  ["query-consumer-offset-request", request(14, answeredWith(0, (f) => storedOffset(responseTo(f)!)))],
  ["query-consumer-offset-response", response(14, 0, storedOffset)],
  ["query-consumer-offset-not-found-response", response(14, 22)],
  ["pull-message-request", (f) => request(11)(f) && responseTo(f) === largestPullFound],
  ["pull-message-found-response", (f) => f === largestPullFound],
  ["update-consumer-offset-oneway-request", (f) => f.kind === "oneway" && f.code === 15],
  ["register-broker-request", request(103)],
  ["register-broker-response", response(103, 0)],
  ["unregister-client-request", request(35)],
  ["notify-consumer-ids-changed-oneway-request", (f) => f.kind === "oneway" && f.code === 40],
];

mkdirSync(out, { recursive: true });
const missing: string[] = [];
for (const [name, matcher] of wanted) {
  const frame = frames.find(matcher);
  if (!frame) {
    missing.push(name);
    continue;
  }
  const target = join(out, `${name}.${format}.bin`);
  copyFileSync(join(capture, frame.file), target);
  const decoded = decodeHeader(readFileSync(target));
  console.log(`${name}.${format}.bin  ${decoded.serializeType} code=${decoded.header.code} ` +
    `flag=${decoded.header.flag} body=${decoded.bodyLength}`);
}
if (missing.length > 0) {
  console.error(`missing from ${capture}: ${missing.join(", ")}`);
  process.exit(1);
}
