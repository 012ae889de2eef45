// Picks the requests an Apache RocketMQ broker sends its name server on its own (QUERY_DATA_VERSION on a periodic
// registration, UNREGISTER_BROKER at shutdown) out of a recording-proxy capture, into <out>/<name>.<format>.bin.
// Fails (exit 1) when either is missing, so a capture run cannot silently drop a fixture.
//
//   node interop/capture/select-broker-fixtures.ts --capture DIR --format json|binary --out DIR
import type { FrameRecord } from "./recording-proxy.ts";
import { selectRequestFrames } from "./request-frame-selection.ts";

// Ordinary requests only (not oneway), as the broker sends them.
const request = (f: FrameRecord) => f.kind === "request";
selectRequestFrames("select-broker-fixtures.ts", [
  ["query-data-version-request", 322, request],
  ["unregister-broker-request", 104, request],
]);
