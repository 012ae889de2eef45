// Replays the frames captured between the official Java client 5.3.3 and Apache RocketMQ 5.3.3
// (broker/test/fixtures/java-client, made by scripts/capture-fixtures.sh) against the target, in the order a
// client sends them, and checks each answer against the captured Apache answer: same response code, the
// same header fields, the same body shape. Topic, group and producer group are renamed per run, and the
// queue of the pull/offset requests is pointed at the queue the replayed batch went to; everything else
// (header type, field order, properties, bodies) is sent exactly as captured.
import fs from "node:fs";
import path from "node:path";
import type { RemotingHeader } from "../capture/remoting-frame.ts";
import { encodeFrame, FLAG_RESPONSE, parseFrame, RemotingConnection, type Frame } from "./remoting-client.ts";
import type { Context } from "./scenarios.ts";
import { waitFor } from "../../broker/src/harness/wait-for.ts";
import { ROOT, sleep } from "./targets.ts";

const FIXTURES = path.join(ROOT, "broker/test/fixtures/java-client");

export async function replayFixtures(ctx: Context, format: "json" | "binary"): Promise<void> {
  const base = `${format}-${ctx.runId}`.replace(/[^a-zA-Z0-9_-]/g, "_");
  const renames: [string, string][] = [["FixtureTopic", `T_fixtures_${base}`], ["FixtureGroup", `G_fixtures_${base}`],
    ["tern_interop_producer", `P_fixtures_${base}`]];
  const topic = renames[0]![1];
  const fixture = (name: string) => parseFrame(fs.readFileSync(path.join(FIXTURES, `${name}.${format}.bin`)));
  const rename = (text: string) => renames.reduce((s, [from, to]) => s.split(from).join(to), text);

  /** The captured request with names replaced (and extFields overridden), re-encoded in its own header type. */
  const request = (name: string, conn: RemotingConnection, override: Record<string, string> = {}): Buffer => {
    const frame = fixture(name);
    const extFields: Record<string, string> = {};
    for (const [k, v] of Object.entries(frame.header.extFields ?? {})) if (v !== null) extFields[k] = rename(v);
    Object.assign(extFields, override);
    const header: RemotingHeader = { ...frame.header, opaque: conn.allocateOpaque(), extFields };
    const body = frame.body.length > 0 && frame.body[0] === 0x7b ? Buffer.from(rename(frame.body.toString("utf8")), "utf8") : frame.body;
    return encodeFrame(header, body, frame.serializeType);
  };
  const check = (condition: boolean, message: string) => {
    if (!condition) throw new Error([...differences, message].join("; "));
  };
  // Differences that do not stop the replay are collected, so one run reports all of them.
  const differences: string[] = [];
  const note = (condition: boolean, message: string) => {
    if (!condition) {
      differences.push(message);
      ctx.log(`DIFFERENCE: ${message}`);
    }
  };
  /** Response code and header field names must match the captured Apache response. */
  const matchesCaptured = (step: string, got: Frame, capturedName: string, optional: string[] = []) => {
    const captured = fixture(capturedName);
    ctx.log(`${step}: code ${got.header.code} ${JSON.stringify(got.header.extFields ?? {})} remark=${got.header.remark ?? ""} body=${got.body.length}B`);
    check((got.header.flag & FLAG_RESPONSE) === FLAG_RESPONSE, `${step}: answer is not flagged as a response`);
    check(got.header.code === captured.header.code, `${step}: code ${got.header.code} (${got.header.remark ?? ""}), Apache answered ${captured.header.code}`);
    const want = Object.keys(captured.header.extFields ?? {}).filter((k) => !optional.includes(k));
    const missing = want.filter((k) => got.header.extFields?.[k] === undefined);
    note(missing.length === 0, `${step}: response lacks header fields ${missing.join(", ")} that Apache sends`);
  };

  const namesrv = await RemotingConnection.connect(ctx.target.namesrv);
  const broker = await RemotingConnection.connect(ctx.target.brokerAddr);
  try {
    // 1. the producer's first route lookup: unknown topic
    const notFound = await namesrv.send(request("get-routeinfo-by-topic-request", namesrv));
    matchesCaptured("route of an unknown topic", notFound, "get-routeinfo-by-topic-not-exist-response");

    // 2. single send (V2 header) to the unknown topic: auto-created from TBW102
    const sendRequest = fixture("send-message-v2-request");
    const sent = await broker.send(request("send-message-v2-request", broker));
    matchesCaptured("SEND_MESSAGE_V2", sent, "send-message-v2-response");
    const uniqKey = /UNIQ_KEY\u0001([0-9A-F]+)/.exec(sendRequest.header.extFields?.["i"] ?? "")?.[1];
    note(sent.header.extFields?.["transactionId"] === uniqKey, `SEND_MESSAGE_V2: transactionId ${sent.header.extFields?.["transactionId"]}, expected the UNIQ_KEY ${uniqKey}`);
    check(sent.header.extFields?.["queueId"] === sendRequest.header.extFields?.["e"], "SEND_MESSAGE_V2: answered another queue than the one asked for");
    checkOffsetMsgId("SEND_MESSAGE_V2", sent.header.extFields?.["msgId"] ?? "", ctx.target.brokerAddr);

    // 3. batch of three
    const batch = await broker.send(request("send-batch-message-request", broker));
    matchesCaptured("SEND_BATCH_MESSAGE", batch, "send-batch-message-response");
    const ids = (batch.header.extFields?.["msgId"] ?? "").split(",");
    check(ids.length === 3, `SEND_BATCH_MESSAGE: msgId lists ${ids.length} ids, expected 3`);
    ids.forEach((id) => checkOffsetMsgId("SEND_BATCH_MESSAGE", id, ctx.target.brokerAddr));
    const batchQueue = batch.header.extFields?.["queueId"] ?? "0";
    check(batch.header.extFields?.["queueOffset"] === "0", `SEND_BATCH_MESSAGE: first queueOffset ${batch.header.extFields?.["queueOffset"]}, expected 0`);

    // 4. the route now exists, shaped like Apache's
    const route = await waitFor("a route for the auto-created topic", async (note) => {
      const r = await namesrv.send(request("get-routeinfo-by-topic-request", namesrv));
      note(`route code ${r.header.code}`);
      return r.header.code === 0 && r;
    }, 20_000, 250);
    matchesCaptured("route of the auto-created topic", route, "get-routeinfo-by-topic-response");
    compareRouteBodies(JSON.parse(fixture("get-routeinfo-by-topic-response").body.toString("utf8")), JSON.parse(route.body.toString("utf8")),
      ctx.target.brokerAddr, note);

    // 5. consumer heartbeat and the group's member list
    const heartbeatBody = JSON.parse(rename(fixture("heart-beat-consumer-request").body.toString("utf8"))) as {
      clientID: string; consumerDataSet: { subscriptionDataSet: { topic: string; subVersion: number }[] }[];
    };
    const subVersion = heartbeatBody.consumerDataSet[0]!.subscriptionDataSet.find((s) => s.topic === topic)!.subVersion;
    const heartbeat = await broker.send(request("heart-beat-consumer-request", broker));
    matchesCaptured("HEART_BEAT", heartbeat, "heart-beat-response", ["IS_SUPPORT_HEART_BEAT_V2", "IS_SUB_CHANGE"]);
    const members = await broker.send(request("get-consumer-list-by-group-request", broker));
    matchesCaptured("GET_CONSUMER_LIST_BY_GROUP", members, "get-consumer-list-by-group-response");
    const list = JSON.parse(members.body.toString("utf8")) as { consumerIdList?: string[] };
    check(list.consumerIdList?.includes(heartbeatBody.clientID) === true, `GET_CONSUMER_LIST_BY_GROUP: ${JSON.stringify(list)} lacks ${heartbeatBody.clientID}`);

    // 6. a new group's offset on a queue whose first message is in memory: 0 (protocol digest 6.4)
    const queueOverride = { queueId: batchQueue };
    const firstOffset = await broker.send(request("query-consumer-offset-request", broker, queueOverride));
    matchesCaptured("QUERY_CONSUMER_OFFSET of a new group", firstOffset, "query-consumer-offset-response");
    check(firstOffset.header.extFields?.["offset"] === "0", `QUERY_CONSUMER_OFFSET of a new group: offset ${firstOffset.header.extFields?.["offset"]}, expected 0`);

    // 7. pull the batch back: same header fields and the same stored-record layout as Apache's answer
    const pulled = await broker.send(request("pull-message-request", broker, { ...queueOverride, queueOffset: "0", commitOffset: "0", subVersion: String(subVersion) }), 20_000);
    matchesCaptured("PULL_MESSAGE", pulled, "pull-message-found-response", ["groupSysFlag", "topicSysFlag"]);
    check(pulled.header.extFields?.["nextBeginOffset"] === "3" && pulled.header.extFields?.["maxOffset"] === "3" && pulled.header.extFields?.["minOffset"] === "0",
      `PULL_MESSAGE: offsets ${JSON.stringify(pulled.header.extFields)}, expected next 3, min 0, max 3`);
    const records = parseStoredRecords(pulled.body);
    const capturedRecords = parseStoredRecords(fixture("pull-message-found-response").body);
    check(records.length === 3, `PULL_MESSAGE: ${records.length} records, expected the 3 of the batch`);
    records.forEach((r, i) => {
      check(r.topic === topic && r.queueOffset === i && r.queueId === Number(batchQueue), `record ${i}: ${r.topic} q${r.queueId} @${r.queueOffset}`);
      check(r.properties.get("KEYS") === `batch-${i}`, `record ${i}: KEYS ${r.properties.get("KEYS")}`);
      check(r.storeHost === ctx.target.brokerAddr, `record ${i}: store host ${r.storeHost}, expected ${ctx.target.brokerAddr}`);
      const want = [...(capturedRecords[0]?.properties.keys() ?? [])].filter((k) => k !== "UNIQ_KEY" || r.properties.has("UNIQ_KEY")).sort();
      const missing = want.filter((k) => !r.properties.has(k));
      note(missing.length === 0, `record ${i}: properties lack ${missing.join(", ")} (Apache stores ${want.join(", ")})`);
    });

    // 8. commit offset 3 (oneway: no answer at all), then read it back
    const before = broker.unmatchedResponses.length;
    broker.sendOneway(request("update-consumer-offset-oneway-request", broker, { ...queueOverride, commitOffset: "3" }));
    await sleep(1000);
    check(broker.unmatchedResponses.length === before, "UPDATE_CONSUMER_OFFSET (oneway) got an answer; oneway requests get none");
    const stored = await broker.send(request("query-consumer-offset-request", broker, queueOverride));
    matchesCaptured("QUERY_CONSUMER_OFFSET after commit", stored, "query-consumer-offset-response");
    check(stored.header.extFields?.["offset"] === "3", `QUERY_CONSUMER_OFFSET after commit: ${stored.header.extFields?.["offset"]}, expected 3`);

    // 9. producer shutdown
    const bye = await broker.send(request("unregister-client-request", broker));
    check(bye.header.code === 0, `UNREGISTER_CLIENT: code ${bye.header.code} (${bye.header.remark ?? ""})`);
    if (differences.length > 0) throw new Error(differences.join("; "));
  } finally {
    namesrv.close();
    broker.close();
  }
}

/** offsetMsgId = hex(store IPv4, port, commitlog offset): clients decode it to find the broker. */
function checkOffsetMsgId(step: string, id: string, brokerAddr: string): void {
  if (!/^[0-9A-F]{32}$/.test(id)) throw new Error(`${step}: msgId ${id} is not 32 upper-case hex digits`);
  const bytes = Buffer.from(id, "hex");
  const addr = `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}:${bytes.readInt32BE(4)}`;
  if (addr !== brokerAddr) throw new Error(`${step}: msgId ${id} names ${addr}, expected the broker ${brokerAddr}`);
}

interface RouteBody {
  brokerDatas: { brokerAddrs: Record<string, string>; [k: string]: unknown }[];
  queueDatas: { readQueueNums: number; writeQueueNums: number; perm: number; [k: string]: unknown }[];
  [k: string]: unknown;
}

function compareRouteBodies(captured: RouteBody, got: RouteBody, brokerAddr: string, check: (c: boolean, m: string) => void): void {
  const lacking = (want: object, have: object | undefined) => Object.keys(want).filter((k) => have === undefined || !(k in have));
  check(lacking(captured, got).length === 0, `route body lacks ${lacking(captured, got).join(", ")}`);
  check(lacking(captured.brokerDatas[0]!, got.brokerDatas?.[0]).length === 0, `route brokerData lacks ${lacking(captured.brokerDatas[0]!, got.brokerDatas?.[0]).join(", ")}`);
  check(lacking(captured.queueDatas[0]!, got.queueDatas?.[0]).length === 0, `route queueData lacks ${lacking(captured.queueDatas[0]!, got.queueDatas?.[0]).join(", ")}`);
  check(got.brokerDatas[0]!.brokerAddrs["0"] === brokerAddr, `route brokerAddrs ${JSON.stringify(got.brokerDatas[0]!.brokerAddrs)}`);
  const q = got.queueDatas[0]!;
  const c = captured.queueDatas[0]!;
  check(q.readQueueNums === c.readQueueNums && q.writeQueueNums === c.writeQueueNums && q.perm === c.perm,
    `route queue data ${JSON.stringify(q)}, Apache had ${JSON.stringify(c)}`);
}

interface StoredRecord {
  queueId: number;
  queueOffset: number;
  storeHost: string;
  topic: string;
  properties: Map<string, string>;
}

/** Stored-message records as in a PULL body (protocol digest §4.1, IPv4 hosts, magic v1). */
function parseStoredRecords(body: Buffer): StoredRecord[] {
  const records: StoredRecord[] = [];
  let at = 0;
  while (at < body.length) {
    const size = body.readInt32BE(at);
    const magic = body.readInt32BE(at + 4) >>> 0;
    if (magic !== 0xdaa320a7) throw new Error(`record at ${at}: magic ${magic.toString(16)}`);
    const sysFlag = body.readInt32BE(at + 36);
    if ((sysFlag & 0x30) !== 0) throw new Error(`record at ${at}: IPv6 hosts are not expected on loopback`);
    const storeHost = `${body[at + 64]}.${body[at + 65]}.${body[at + 66]}.${body[at + 67]}:${body.readInt32BE(at + 68)}`;
    let p = at + 84;
    const bodyLength = body.readInt32BE(p);
    p += 4 + bodyLength;
    const topicLength = body.readInt8(p);
    const topic = body.toString("utf8", p + 1, p + 1 + topicLength);
    p += 1 + topicLength;
    const propLength = body.readInt16BE(p);
    const properties = new Map<string, string>();
    for (const pair of body.toString("utf8", p + 2, p + 2 + propLength).split("\u0002")) {
      const sep = pair.indexOf("\u0001");
      if (sep > 0) properties.set(pair.slice(0, sep), pair.slice(sep + 1));
    }
    records.push({ queueId: body.readInt32BE(at + 12), queueOffset: Number(body.readBigInt64BE(at + 20)), storeHost, topic, properties });
    at += size;
  }
  return records;
}
