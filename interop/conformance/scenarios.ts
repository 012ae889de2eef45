// The named scenarios of the conformance suite. Each one runs against whichever target is up and throws on
// failure; none of them knows which target it is talking to. Java-client scenarios live in
// interop/java (io.tern.interop.Conformance), the Go one in interop/go, mqadmin ones here.
import { execFile, type ChildProcess } from "node:child_process";
import path from "node:path";
import { replayFixtures } from "./fixtures-replay.ts";
import { queryRoute } from "./remoting-client.ts";
import { waitFor } from "../../broker/src/harness/wait-for.ts";
import { ROOT, sleep, type Target } from "./targets.ts";

export interface Context {
  target: Target;
  /** Distinguishes this run's topics and groups. */
  runId: string;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  /** Hard limit for the whole scenario, after which it fails. */
  timeoutMs: number;
  run(ctx: Context): Promise<void>;
}

interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

const JAVA_LIB = path.join(ROOT, ".cache/interop/java/lib");

/** Clients still running (a scenario that timed out leaves its process behind); the runner kills them at exit. */
export const runningClients = new Set<ChildProcess>();

function runProcess(ctx: Context, command: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<ProcessResult> {
  ctx.log(`$ ${path.basename(command)} ${args.join(" ")}`);
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        runningClients.delete(child);
        const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
        const code = e ? (typeof e.code === "number" ? e.code : -1) : 0;
        ctx.log(stdout.trimEnd());
        if (stderr.trim()) ctx.log(`[stderr]\n${stderr.trimEnd()}`);
        if (e?.killed) ctx.log(`killed after ${timeoutMs} ms`);
        resolve({ code, stdout, stderr });
      });
    runningClients.add(child);
  });
}

/** Runs one Java-client scenario (or helper) in its own JVM. */
async function java(ctx: Context, args: string[], timeoutMs: number): Promise<ProcessResult> {
  return runProcess(ctx, "java", [
    "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
    `-Drocketmq.log.root=${path.join(ROOT, ".cache/interop/java/logs")}`,
    `-Drocketmq.client.localOffsetStoreDir=${path.join(ROOT, ".cache/interop/java/offsets")}`,
    "-cp", `${JAVA_LIB}/*`, "io.tern.interop.Conformance", ...args,
  ], timeoutMs);
}

function javaScenario(name: string, timeoutMs: number): Scenario {
  return {
    name, timeoutMs,
    async run(ctx) {
      const result = await java(ctx, [name, "-n", ctx.target.namesrv, "--run", ctx.runId], timeoutMs);
      const verdict = result.stdout.trim().split("\n").pop() ?? "";
      if (result.code !== 0 || verdict !== "PASS") throw new Error(verdict.startsWith("FAIL") ? verdict.slice(5) : `java exited ${result.code}`);
    },
  };
}

interface Sent {
  uniqId: string;
  offsetMsgId: string;
  key: string;
  queueId: number;
  queueOffset: number;
}

async function send(ctx: Context, topic: string, count: number, keyPrefix: string): Promise<Sent[]> {
  const result = await java(ctx, ["send", "-n", ctx.target.namesrv, "-t", topic, "-c", String(count), "--key-prefix", keyPrefix], 60_000);
  if (result.code !== 0) throw new Error(`sending to ${topic} failed: ${result.stdout.split("\n").pop()}`);
  return result.stdout.split("\n").filter((l) => l.startsWith("SENT ")).map((l) => {
    const [, uniqId, offsetMsgId, key, queueId, queueOffset] = l.split(" ");
    return { uniqId: uniqId!, offsetMsgId: offsetMsgId!, key: key!, queueId: Number(queueId), queueOffset: Number(queueOffset) };
  });
}

/** Consumes with `group` until `count` distinct keys arrived; returns the keys. Offsets are committed. */
async function drain(ctx: Context, topic: string, group: string, count: number): Promise<string[]> {
  const result = await java(ctx, ["drain", "-n", ctx.target.namesrv, "-t", topic, "-g", group, "-c", String(count), "--timeout-ms", "30000", "--linger-ms", "1500"], 90_000);
  const keys = result.stdout.split("\n").filter((l) => l.startsWith("KEY ")).map((l) => l.slice(4));
  if (result.code !== 0) throw new Error(`consuming ${topic} as ${group} got ${keys.length} of ${count} keys`);
  return keys;
}

/** mqadmin prints failures instead of exiting non-zero; an exception in its output is a failure. */
async function mqadmin(ctx: Context, args: string[]): Promise<string> {
  const result = await runProcess(ctx, path.join(ROOT, "scripts/mqadmin.sh"), [...args], 90_000);
  const output = `${result.stdout}\n${result.stderr}`;
  const problem = output.split("\n").find((l) => /Exception|command failed|not exist/.test(l));
  if (result.code !== 0 || problem) throw new Error(`mqadmin ${args[0]}: ${problem ?? `exit ${result.code}`}`);
  return result.stdout;
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function names(ctx: Context, scenario: string) {
  const base = `${scenario}-${ctx.runId}`.replace(/[^a-zA-Z0-9_-]/g, "_");
  return { topic: `T_${base}`, group: `G_${base}` };
}

/** Creates a topic with 4 queues through mqadmin, as operators do before producers arrive. */
async function createTopic(ctx: Context, topic: string, queues = 4): Promise<void> {
  await mqadmin(ctx, ["updateTopic", "-n", ctx.target.namesrv, "-c", ctx.target.cluster, "-t", topic, "-r", String(queues), "-w", String(queues)]);
  await waitFor(`route for ${topic} after updateTopic`, async () => (await queryRoute(ctx.target.namesrv, topic)).code === 0, 15_000, 250);
}

/** Lines of a "key = value" / "key : value" listing as a map. */
function keyValues(output: string, separator: RegExp): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of output.split("\n")) {
    const m = separator.exec(line);
    if (m) map.set(m[1]!.trim(), m[2]!.trim());
  }
  return map;
}

const mqadminScenarios: Scenario[] = [
  {
    name: "mqadmin-updateTopic", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "updateTopic");
      const out = await mqadmin(ctx, ["updateTopic", "-n", ctx.target.namesrv, "-c", ctx.target.cluster, "-t", topic, "-r", "3", "-w", "5", "-p", "6"]);
      expect(out.includes(`create topic to ${ctx.target.brokerAddr} success.`), "no 'create topic to <broker> success.' line");
      expect(/readQueueNums=3, writeQueueNums=5, perm=RW-/.test(out), "the printed TopicConfig lacks the requested queue numbers and perm");
      let queueData: { readQueueNums: number; writeQueueNums: number; perm: number } | undefined;
      await waitFor(`route of ${topic} with 3 read / 5 write queues`, async (note) => {
        const { route } = await queryRoute(ctx.target.namesrv, topic);
        queueData = (route as { queueDatas?: typeof queueData[] } | undefined)?.queueDatas?.[0];
        note(`queue data ${JSON.stringify(queueData)}`);
        return queueData?.readQueueNums === 3 && queueData.writeQueueNums === 5;
      }, 20_000, 250);
      expect(queueData!.perm === 6, `route perm ${queueData!.perm}, expected 6`);
      // updating an existing topic changes it
      await mqadmin(ctx, ["updateTopic", "-n", ctx.target.namesrv, "-c", ctx.target.cluster, "-t", topic, "-r", "4", "-w", "4"]);
      await waitFor(`route of ${topic} updated to 4/4 queues`, async () => {
        const { route } = await queryRoute(ctx.target.namesrv, topic);
        const q = (route as { queueDatas?: typeof queueData[] } | undefined)?.queueDatas?.[0];
        return q?.readQueueNums === 4 && q.writeQueueNums === 4;
      }, 20_000, 250);
    },
  },
  {
    name: "mqadmin-deleteTopic", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "deleteTopic");
      await createTopic(ctx, topic);
      await send(ctx, topic, 2, "del-");
      const out = await mqadmin(ctx, ["deleteTopic", "-n", ctx.target.namesrv, "-c", ctx.target.cluster, "-t", topic]);
      expect(out.includes(`delete topic [${topic}] from cluster [${ctx.target.cluster}] success.`), "no 'delete topic from cluster success' line");
      expect(out.includes(`delete topic [${topic}] from NameServer success.`), "no 'delete topic from NameServer success' line");
      const { code } = await queryRoute(ctx.target.namesrv, topic);
      expect(code === 17, `route of the deleted topic answered code ${code}, expected TOPIC_NOT_EXIST (17)`);
      const list = await mqadmin(ctx, ["topicList", "-n", ctx.target.namesrv]);
      expect(!list.split("\n").includes(topic), "topicList still lists the deleted topic");
      // the broker forgot it too: it must not come back with the broker's next registration
      await sleep(1000);
      expect((await queryRoute(ctx.target.namesrv, topic)).code === 17, "the deleted topic came back");
    },
  },
  {
    name: "mqadmin-topicList", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "topicList");
      await createTopic(ctx, topic);
      const out = (await mqadmin(ctx, ["topicList", "-n", ctx.target.namesrv])).split("\n").map((l) => l.trim());
      for (const wanted of [topic, "TBW102", ctx.target.cluster, ctx.target.brokerName]) {
        expect(out.includes(wanted), `topicList lacks ${wanted}`);
      }
    },
  },
  {
    name: "mqadmin-topicRoute", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "topicRoute");
      await createTopic(ctx, topic);
      const out = await mqadmin(ctx, ["topicRoute", "-n", ctx.target.namesrv, "-t", topic]);
      expect(out.includes(`"${ctx.target.brokerAddr}"`), `route lacks the broker address ${ctx.target.brokerAddr}`);
      expect(/"brokerName"\s*:\s*"broker-a"/.test(out), "route lacks brokerName broker-a");
      expect(/"readQueueNums"\s*:\s*4/.test(out) && /"writeQueueNums"\s*:\s*4/.test(out), "route lacks 4 read / 4 write queues");
      expect(/"cluster"\s*:\s*"DefaultCluster"/.test(out), "route lacks the cluster name");
      const listed = await mqadmin(ctx, ["topicRoute", "-n", ctx.target.namesrv, "-t", topic, "-l"]);
      expect(new RegExp(`DefaultCluster\\s+broker-a\\s+\\{0=${ctx.target.brokerAddr}\\}\\s+4\\s+4\\s+6`).test(listed), "list format row differs");
    },
  },
  {
    name: "mqadmin-topicStatus", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "topicStatus");
      await createTopic(ctx, topic);
      await send(ctx, topic, 6, "st-");
      const out = await mqadmin(ctx, ["topicStatus", "-n", ctx.target.namesrv, "-t", topic]);
      const rows = out.split("\n").map((l) => /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(l.trim())).filter((m) => m !== null);
      expect(rows.length === 4, `expected 4 queue rows, got ${rows.length}`);
      const total = rows.reduce((sum, m) => sum + Number(m[4]) - Number(m[3]), 0);
      expect(rows.every((m) => m[1] === ctx.target.brokerName), "rows name another broker");
      expect(total === 6, `max - min offsets add up to ${total}, expected 6 messages`);
      expect(/Topic Put TPS:/.test(out), "no 'Topic Put TPS:' line");
    },
  },
  {
    name: "mqadmin-clusterList", timeoutMs: 120_000,
    async run(ctx) {
      const out = await mqadmin(ctx, ["clusterList", "-n", ctx.target.namesrv]);
      const row = out.split("\n").find((l) => l.includes(ctx.target.brokerAddr));
      expect(row !== undefined, `no row for ${ctx.target.brokerAddr}`);
      const cols = row!.trim().split(/\s+/);
      expect(cols[0] === ctx.target.cluster && cols[1] === ctx.target.brokerName && cols[2] === "0" && cols[3] === ctx.target.brokerAddr,
        `row starts ${cols.slice(0, 4).join(" ")}, expected ${ctx.target.cluster} ${ctx.target.brokerName} 0 ${ctx.target.brokerAddr}`);
      expect(/^V\d+_\d+_\d+/.test(cols[4] ?? ""), `version column is "${cols[4]}", expected a version like V5_3_3`);
      expect(cols[cols.length - 1] === "true", `#ACTIVATED is ${cols[cols.length - 1]}, expected true`);
    },
  },
  {
    name: "mqadmin-brokerStatus", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "brokerStatus");
      await send(ctx, topic, 3, "bs-");
      const out = await mqadmin(ctx, ["brokerStatus", "-n", ctx.target.namesrv, "-b", ctx.target.brokerAddr]);
      const kv = keyValues(out, /^(\w+)\s*:\s*(.*)$/);
      const wanted = ["brokerVersionDesc", "brokerVersion", "putTps", "getTransferredTps", "msgPutTotalTodayNow", "msgGetTotalTodayNow",
        "msgPutTotalTodayMorning", "msgPutTotalYesterdayMorning", "commitLogDiskRatio", "earliestMessageTimeStamp", "bootTimestamp",
        "sendThreadPoolQueueSize", "pullThreadPoolQueueSize"];
      const missing = wanted.filter((k) => !kv.has(k));
      expect(missing.length === 0, `brokerStatus lacks ${missing.join(", ")}`);
      expect(Number(kv.get("msgPutTotalTodayNow")) >= 3, `msgPutTotalTodayNow is ${kv.get("msgPutTotalTodayNow")} after 3 sends`);
      expect(/^V\d+_\d+_\d+/.test(kv.get("brokerVersionDesc")!), `brokerVersionDesc is ${kv.get("brokerVersionDesc")}`);
    },
  },
  {
    name: "mqadmin-getBrokerConfig", timeoutMs: 120_000,
    async run(ctx) {
      const out = await mqadmin(ctx, ["getBrokerConfig", "-n", ctx.target.namesrv, "-b", ctx.target.brokerAddr]);
      expect(out.includes(`============${ctx.target.brokerAddr}============`), "no banner naming the broker");
      const kv = keyValues(out, /^(\w+)\s*=\s*(.*)$/);
      const port = ctx.target.brokerAddr.split(":")[1];
      const wanted: [string, string][] = [["brokerClusterName", ctx.target.cluster], ["brokerName", ctx.target.brokerName], ["brokerId", "0"],
        ["listenPort", port!], ["namesrvAddr", ctx.target.namesrv], ["autoCreateTopicEnable", "true"], ["enablePropertyFilter", "true"],
        ["brokerRole", "ASYNC_MASTER"], ["flushDiskType", "ASYNC_FLUSH"]];
      for (const [key, value] of wanted) expect(kv.get(key) === value, `${key} = ${kv.get(key)}, expected ${value}`);
    },
  },
  {
    name: "mqadmin-updateSubGroup", timeoutMs: 120_000,
    async run(ctx) {
      const { group } = names(ctx, "updateSubGroup");
      const out = await mqadmin(ctx, ["updateSubGroup", "-n", ctx.target.namesrv, "-c", ctx.target.cluster, "-g", group, "-r", "5", "-q", "1", "-d", "false"]);
      expect(out.includes(`create subscription group to ${ctx.target.brokerAddr} success.`), "no 'create subscription group to <broker> success.' line");
      const config = await mqadmin(ctx, ["getConsumerConfig", "-n", ctx.target.namesrv, "-g", group]);
      const kv = keyValues(config, /^\s*(\w+)\s*=\s*(.*)$/);
      expect(kv.get("groupName") === group, `getConsumerConfig groupName = ${kv.get("groupName")}`);
      expect(kv.get("retryMaxTimes") === "5", `retryMaxTimes = ${kv.get("retryMaxTimes")}, expected 5`);
      expect(kv.get("consumeBroadcastEnable") === "false", `consumeBroadcastEnable = ${kv.get("consumeBroadcastEnable")}, expected false`);
    },
  },
  {
    name: "mqadmin-consumerProgress", timeoutMs: 180_000,
    async run(ctx) {
      const { topic, group } = names(ctx, "consumerProgress");
      await createTopic(ctx, topic);
      await send(ctx, topic, 8, "cp-a");
      await drain(ctx, topic, group, 8);
      await send(ctx, topic, 5, "cp-b");
      const out = await mqadmin(ctx, ["consumerProgress", "-n", ctx.target.namesrv, "-g", group]);
      const rows = out.split("\n").filter((l) => l.startsWith(topic));
      expect(rows.length === 4, `expected 4 queue rows for ${topic}, got ${rows.length}`);
      const diff = /Consume Diff Total:\s*(\d+)/.exec(out);
      expect(diff !== null && Number(diff[1]) === 5, `Consume Diff Total is ${diff?.[1]}, expected 5`);
      const sums = rows.map((r) => r.trim().split(/\s+/)).reduce((acc, c) => [acc[0]! + Number(c[3]), acc[1]! + Number(c[4])], [0, 0]);
      expect(sums[0] === 13 && sums[1] === 8, `broker offsets add up to ${sums[0]} (expected 13), consumer offsets to ${sums[1]} (expected 8)`);
    },
  },
  {
    name: "mqadmin-resetOffsetByTime", timeoutMs: 240_000,
    async run(ctx) {
      const { topic, group } = names(ctx, "resetOffsetByTime");
      await createTopic(ctx, topic);
      await send(ctx, topic, 8, "early-");
      await sleep(1500);
      const boundary = Date.now();
      await sleep(1500);
      await send(ctx, topic, 8, "late-");
      expect((await drain(ctx, topic, group, 16)).length === 16, "first pass should read all 16");
      // group offline: mqadmin resets it through the broker (consume stats + offset update)
      const out = await mqadmin(ctx, ["resetOffsetByTime", "-n", ctx.target.namesrv, "-g", group, "-t", topic, "-s", String(boundary)]);
      expect(/reset consumer offset/i.test(out), "no 'reset consumer offset' report");
      const again = await drain(ctx, topic, group, 8);
      expect(again.every((k) => k.startsWith("late-")) && new Set(again).size === 8,
        `after the reset the group read ${again.join(" ")}, expected exactly late-0..7`);
    },
  },
  {
    name: "query-by-id", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "queryById");
      const sent = await send(ctx, topic, 3, "qid-");
      const target = sent[1]!;
      const out = await mqadmin(ctx, ["queryMsgById", "-n", ctx.target.namesrv, "-t", topic, "-i", target.offsetMsgId]);
      const kv = keyValues(out, /^([A-Za-z ]+):\s+(.*)$/);
      expect(kv.get("OffsetID") === target.offsetMsgId, `OffsetID ${kv.get("OffsetID")}, expected ${target.offsetMsgId}`);
      expect(kv.get("Topic") === topic, `Topic ${kv.get("Topic")}`);
      expect(kv.get("Keys") === `[${target.key}]`, `Keys ${kv.get("Keys")}, expected [${target.key}]`);
      expect(kv.get("Queue ID") === String(target.queueId) && kv.get("Queue Offset") === String(target.queueOffset),
        `queue ${kv.get("Queue ID")}/${kv.get("Queue Offset")}, expected ${target.queueId}/${target.queueOffset}`);
    },
  },
  {
    name: "query-by-key", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "queryByKey");
      const sent = await send(ctx, topic, 3, "qkey-");
      await sleep(500); // the index is built asynchronously
      const out = await mqadmin(ctx, ["queryMsgByKey", "-n", ctx.target.namesrv, "-t", topic, "-k", "qkey-2"]);
      const ids = out.split("\n").filter((l) => /^[0-9A-F]{32,56}\s/.test(l)).map((l) => l.split(/\s+/)[0]);
      expect(ids.length === 1 && ids[0] === sent[2]!.uniqId, `queryMsgByKey listed ${ids.join(" ")}, expected ${sent[2]!.uniqId}`);
    },
  },
  {
    name: "query-by-unique-key", timeoutMs: 120_000,
    async run(ctx) {
      const { topic } = names(ctx, "queryByUniqueKey");
      const sent = await send(ctx, topic, 3, "quk-");
      await sleep(500);
      const out = await mqadmin(ctx, ["queryMsgByUniqueKey", "-n", ctx.target.namesrv, "-t", topic, "-i", sent[0]!.uniqId]);
      const kv = keyValues(out, /^([A-Za-z ]+):\s+(.*)$/);
      expect(kv.get("Topic") === topic, `Topic ${kv.get("Topic")}`);
      expect(kv.get("Keys") === `[${sent[0]!.key}]`, `Keys ${kv.get("Keys")}, expected [${sent[0]!.key}]`);
      expect(kv.get("Queue Offset") === String(sent[0]!.queueOffset), `Queue Offset ${kv.get("Queue Offset")}`);
    },
  },
];

const goScenario: Scenario = {
  name: "go-client-roundtrip", timeoutMs: 120_000,
  async run(ctx) {
    const { topic, group } = names(ctx, "go");
    const binary = path.join(ROOT, ".cache/interop/go/tern-go-interop");
    const result = await runProcess(ctx, binary, ["roundtrip", "-n", ctx.target.namesrv, "-t", topic, "-g", group, "-c", "20", "-timeout", "60s"], 110_000,
      { HOME: path.join(ROOT, ".cache/interop/go/home") });
    expect(result.code === 0, `go client: ${result.stderr.trim().split("\n").pop()}`);
    expect(/SENT ok=20/.test(result.stdout) && /RECEIVED distinct=20/.test(result.stdout), "go client did not send and receive 20");
  },
};

export const scenarios: Scenario[] = [
  javaScenario("producer-sync", 90_000),
  javaScenario("producer-async", 90_000),
  javaScenario("producer-oneway", 90_000),
  javaScenario("producer-batch", 90_000),
  javaScenario("producer-sizes", 120_000),
  javaScenario("producer-auto-create-topic", 90_000),
  javaScenario("consumer-clustering-rebalance", 150_000),
  javaScenario("consumer-broadcasting", 90_000),
  javaScenario("consumer-from-first", 90_000),
  javaScenario("consumer-from-last", 120_000),
  javaScenario("consumer-from-timestamp", 90_000),
  javaScenario("consumer-tag-filter", 90_000),
  javaScenario("consumer-sql92-filter", 90_000),
  javaScenario("orderly", 120_000),
  javaScenario("lite-pull", 90_000),
  javaScenario("retry-dlq", 150_000),
  javaScenario("delay-level-3", 90_000),
  javaScenario("timer-messages", 90_000),
  javaScenario("timer-recall", 90_000),
  javaScenario("transaction", 150_000),
  goScenario,
  ...mqadminScenarios,
  { name: "fixtures-replay-json", timeoutMs: 90_000, run: (ctx) => replayFixtures(ctx, "json") },
  { name: "fixtures-replay-binary", timeoutMs: 90_000, run: (ctx) => replayFixtures(ctx, "binary") },
];
