// Picks the request frames of CaptureClientApiCalls.java out of a recording-proxy capture and copies them to
// <out>/<name>.<format>.bin. Only requests are kept: the server in that run is Tern, so its answers are no
// reference. Fails (exit 1) when any wanted frame is missing.
//
//   node interop/capture/select-client-api-fixtures.ts --capture DIR --format json|binary --out DIR
import type { FrameRecord } from "./recording-proxy.ts";
import { selectRequestFrames, type WantedFrame } from "./request-frame-selection.ts";

const uniqueKeyQuery = (f: FrameRecord) => f.header.extFields?._UNIQUE_KEY_QUERY === "true";
const wanted: WantedFrame[] = [
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

selectRequestFrames("select-client-api-fixtures.ts", wanted);
