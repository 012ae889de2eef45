/**
 * Seeded, replayable fault injection for the store (`make faults ITER=N SEED=S`).
 *
 * Each iteration starts a real broker process on one store, sends with several producers (sync
 * flush: an acknowledgement means the bytes were fdatasynced), SIGKILLs the broker at a random
 * moment (sometimes while it is still recovering), optionally damages what was not yet durable
 * (torn-writes.ts), and restarts it. Then, through the broker's own protocol, every acknowledged
 * message must be pullable exactly once through its ConsumeQueue and found by its key and by its
 * unique key, and nothing served may be invalid (a body or whole-record CRC that does not match,
 * unknown, altered, or served twice). The run
 * ends with a clean stop and an offline `store verify`.
 *
 * With --fs lazy the store lives on the lazy filesystem (lazy-fs.ts): at the kill, every byte the
 * broker had not fsynced is dropped (sometimes keeping a torn prefix of the last page), so an
 * acknowledgement given before the bytes were durable shows up as a loss. The torn-writes.ts
 * faults are then not applied: what the crash keeps is exactly what was synced.
 *
 * The seed fixes every decision (producers, sizes, kill delays, faults and where they land);
 * how many messages were acknowledged before a kill depends on timing and varies. With
 * --flush ASYNC acknowledgements are not durable: the run reports the loss window it measured.
 * The run fails when fewer than --min-acked messages were acknowledged in all, or when a send
 * failed before its broker was being killed.
 *
 * Last line: `N iterations, K acked messages checked, L acked lost`.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ClientApi, type SendHeader } from '../../client/client-api.ts';
import { freePort } from '../../harness/free-port.ts';
import { tempDir } from '../../harness/temp-dir.ts';
import { createLogger } from '../../logging/logger.ts';
import { rocketmqCrc32 } from '../../message/crc32.ts';
import { decodeOffsetMsgId } from '../../message/message-id.ts';
import { encodeProperties, MessageConst } from '../../message/properties.ts';
import { RecordStatus, decodeStoredMessage, newRecordSummary, readRecordSummary } from '../../message/stored-message.ts';
import { PullSysFlag } from '../../message/sys-flag.ts';
import { RemotingClient, RequestCode, ResponseCode } from '../../remoting/index.ts';
import { encodeQueryMessageHeader } from '../../protocol/index.ts';
import { verifyStore } from '../../store/store-verify.ts';
import { renderVerifyReport } from '../../store/store-verify-report.ts';
import { SeededRandom } from '../../harness/seeded-random.ts';
import { FAULT_KINDS, StoreFiles, type FaultKind } from './torn-writes.ts';
import { LazyFsMount, lazyFsBinary } from './lazy-fs.ts';
import { BrokerProcess, CheckFailure, logSize, sleep, tail, waitForLog, waitForPort } from './fault-broker.ts';

const TOPIC = 'FaultTopic';
const QUEUES = 4;
const GROUP = 'fault-checker';
const SEGMENT_SIZE = 1024 * 1024;
/** Key lookups per iteration for messages acknowledged in earlier iterations (all of the last one are looked up). */
const OLDER_KEY_SAMPLE = 100;
/** Default of --min-acked, per iteration: kills land anywhere in 0..max-run-ms, so a few iterations ack nothing. */
const MIN_ACKED_PER_ITERATION = 10;
/** What the broker logs once the store opens; a startup kill waits for it, so it lands in recovery. */
const RECOVERY_STARTED = 'opening the store at';

interface Sent {
  uniqKey: string;
  key: string;
  queueId: number;
  bodyCrc: number;
  bodyLength: number;
  iteration: number;
  acked: boolean;
  ackedAt: number;
  offset: number;
}

interface Options {
  iterations: number;
  seed: number;
  flush: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  dir: string | undefined;
  keep: boolean;
  /** Longest time producers run before the kill. */
  maxRunMs: number;
  /** 'lazy': the store on the lazy filesystem, unsynced bytes dropped at each kill. */
  fs: 'plain' | 'lazy';
  /** Fewer acknowledged messages than this over the whole run fails it: too little was tested. */
  minAcked: number;
}

/** Sends that did not end in SUCCESS: expected while the broker is being killed, a failure before. */
interface SendFailures {
  duringKill: number;
  beforeKill: string[];
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string', default: '100' },
      seed: { type: 'string' },
      flush: { type: 'string', default: 'SYNC' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'max-run-ms': { type: 'string', default: '800' },
      fs: { type: 'string', default: 'plain' },
      'min-acked': { type: 'string' },
    },
  });
  const seed = values.seed !== undefined && values.seed !== '' ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const iterations = Number(values.iterations);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed wants a non-negative integer, got ${values.seed}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations wants a positive integer, got ${values.iterations}`);
  const flush = values.flush.toUpperCase().replace(/_FLUSH$/, '');
  if (flush !== 'SYNC' && flush !== 'ASYNC') throw new Error(`--flush wants SYNC or ASYNC, got ${values.flush}`);
  if (values.fs !== 'plain' && values.fs !== 'lazy') throw new Error(`--fs wants plain or lazy, got ${values.fs}`);
  const minAcked = values['min-acked'] === undefined ? MIN_ACKED_PER_ITERATION * iterations : Number(values['min-acked']);
  if (!Number.isInteger(minAcked) || minAcked < 0) throw new Error(`--min-acked wants a non-negative integer, got ${values['min-acked']}`);
  return {
    iterations, seed, flush: `${flush}_FLUSH`, dir: values.dir, keep: values.keep, maxRunMs: Number(values['max-run-ms']), fs: values.fs, minAcked,
  };
}

export async function runFaults(o: Options): Promise<number> {
  const out = (line: string) => process.stdout.write(line + '\n');
  const replay = `make faults ITER=${o.iterations} SEED=${o.seed}${o.flush === 'ASYNC_FLUSH' ? ' FLUSH=ASYNC' : ''} FS=${o.fs}`;
  out(`seed ${o.seed} (replay: ${replay})`);
  const rng = new SeededRandom(o.seed);
  const runDir = o.dir ?? tempDir('tern-faults-');
  const storeDir = path.join(runDir, 'store');
  fs.mkdirSync(storeDir, { recursive: true });
  // On the lazy fs, storeDir is the mount point and backingDir holds what was synced.
  const backingDir = path.join(runDir, 'store-synced');
  const lazyBinary = o.fs === 'lazy' ? lazyFsBinary() : '';
  const logPath = path.join(runDir, 'broker.log');
  const port = await freePort();
  const configPath = path.join(runDir, 'broker.conf');
  const setup = rng.fork('setup');
  fs.writeFileSync(configPath, [
    'brokerClusterName=FaultCluster', 'brokerName=fault-broker', 'brokerId=0', 'brokerRole=ASYNC_MASTER',
    `flushDiskType=${o.flush}`, 'brokerIP1=127.0.0.1', 'bindAddress=127.0.0.1', `listenPort=${port}`, `haListenPort=${await freePort()}`,
    'namesrvAddr=', `storePathRootDir=${storeDir}`, `mappedFileSizeCommitLog=${SEGMENT_SIZE}`,
    `mappedFileSizeConsumeQueue=${20 * 1000}`, 'maxHashSlotNum=1000', 'maxIndexNum=4000',
    `flushIntervalConsumeQueue=${setup.int(50, 1000)}`, 'flushIntervalCommitLog=200', 'autoCreateTopicEnable=true',
    'shutdownGraceMs=2000', '',
  ].join('\n'));
  out(`store ${storeDir}${o.fs === 'lazy' ? ` (lazy fs over ${backingDir})` : ''}, broker 127.0.0.1:${port}, ${o.flush}, segments of ${SEGMENT_SIZE} bytes`);

  const files = new StoreFiles(storeDir, SEGMENT_SIZE);
  // A fresh client per broker life: connections to a killed broker are not reused.
  let remoting = new RemotingClient({ logger: createLogger('faults') });
  let api = new ClientApi(remoting);
  const address = `127.0.0.1:${port}`;
  const sent = new Map<string, Sent>();
  /** Distinct acknowledged messages verified at least once (found, or found missing). */
  const checked = new Set<string>();
  let lost = 0;
  let lossWindowMs = 0;
  let broker: BrokerProcess | undefined;
  let mount: LazyFsMount | undefined;
  let failed = false;
  const failures: SendFailures = { duringKill: 0, beforeKill: [] };

  /** A mount under way, so that an interruption can wait for it and take it down. */
  let mounting: Promise<LazyFsMount> | undefined;
  const mountStore = async (): Promise<void> => {
    if (o.fs !== 'lazy') return;
    mounting = LazyFsMount.mount(lazyBinary, backingDir, storeDir, path.join(runDir, 'lazyfs.sock'));
    mount = await mounting;
    mounting = undefined;
  };
  /** The crash: on the lazy fs, unsynced bytes are dropped (and writes refused) before the SIGKILL, so nothing after it is kept. */
  const crash = async (rngOfKill: SeededRandom): Promise<string> => {
    const keep = rngOfKill.chance(0.5) ? rngOfKill.int(1, 4095) : 0;
    const what = mount === undefined ? '' : await mount.crash(keep);
    await broker!.kill();
    if (mount !== undefined) {
      await mount.unmount();
      mount = undefined;
    }
    return what;
  };
  const spawnBroker = async (): Promise<BrokerProcess> => {
    if (mount === undefined) await mountStore();
    return new BrokerProcess(configPath, logPath);
  };

  // Interrupted (Ctrl-C, a CI timeout): no broker and no mount may outlive the run.
  const onSignal = (signal: NodeJS.Signals): void => {
    out(`${signal}: killing the broker${mount !== undefined ? ' and unmounting the lazy fs' : ''}; store and log kept in ${runDir}`);
    void (async () => {
      await broker?.kill();
      await (mount ?? (await mounting?.catch(() => undefined)))?.unmount();
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const start = async (): Promise<void> => {
    broker = await spawnBroker();
    await waitForPort(port, broker, logPath);
    await remoting.close();
    remoting = new RemotingClient({ logger: createLogger('faults') });
    api = new ClientApi(remoting);
  };

  try {
    for (let it = 1; it <= o.iterations; it++) {
      const itRng = rng.fork(`iteration ${it}`);
      const line: string[] = [`iter ${String(it).padStart(3)}:`];
      if (it > 1 && itRng.chance(0.1)) {
        // Kill it while it is still recovering: recovery itself must survive a crash.
        const from = logSize(logPath);
        broker = await spawnBroker();
        await waitForLog(logPath, from, RECOVERY_STARTED, broker);
        const delay = itRng.int(0, 50);
        await sleep(delay);
        const dropped = await crash(itRng.fork('startup kill'));
        line.push(`killed during startup (${delay} ms after recovery began${dropped !== '' ? `; lazy fs ${dropped}` : ''});`);
      }
      await start();
      if (it === 1) await api.createTopic(address, { topic: TOPIC, readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6, order: false });
      if (it > 1) {
        const c = await checkEverything(api, address, sent, itRng, it, false, checked);
        lost += c.lost;
        lossWindowMs = Math.max(lossWindowMs, c.lossWindowMs);
        line.push(`restart OK, ${c.present} acked present${c.lost > 0 ? `, ${c.lost} LOST (acked within ${c.lossWindowMs} ms before the kill)` : ''};`);
      }

      // Produce, and kill at a random moment.
      const producers = itRng.int(1, 3);
      const killAfter = itRng.int(0, o.maxRunMs);
      let stop = false;
      let killing = false;
      const before = sent.size;
      const phase = { stopped: () => stop, killing: () => killing };
      const runs = Array.from({ length: producers }, (_, p) => produce(api, address, rng.fork(`iteration ${it} producer ${p}`), it, p, sent, phase, failures));
      await sleep(killAfter);
      const killedAt = Date.now();
      killing = true;
      const dropped = await crash(itRng.fork('kill'));
      stop = true;
      await Promise.all(runs);
      const thisRun = [...sent.values()].slice(before);
      const acked = thisRun.filter((m) => m.acked);
      for (const m of acked) m.ackedAt = killedAt - m.ackedAt; // now: ms before the kill
      line.push(`${producers} producer(s), ${thisRun.length} sent, ${acked.length} acked, SIGKILL after ${killAfter} ms;`);

      if (o.fs === 'lazy') {
        // The crash itself lost what was not durable: nothing more to damage.
        line.push(`lazy fs ${dropped}`);
        out(line.join(' '));
        continue;
      }
      // Damage what was not durable.
      const cp = files.checkpoint();
      const ackedEnd = acked.reduce((e, m) => Math.max(e, m.offset + files.recordSizeAt(m.offset)), 0);
      const cpFlushed = cp.valid ? cp.commitLogFlushedOffset : 0;
      // Sync flush: an ack means durable. Async: only the checkpoint's flushed offset is known durable.
      const floor = o.flush === 'SYNC_FLUSH' ? Math.max(ackedEnd, cpFlushed) : cpFlushed;
      const dataEnd = files.dataEnd(floor);
      const kind: FaultKind = itRng.pick(FAULT_KINDS);
      line.push(files.apply(kind, itRng.fork('fault'), floor, dataEnd));
      out(line.join(' '));
    }

    // The last restart: check every acknowledged message, by queue and by both keys.
    await start();
    const finalRng = rng.fork('final');
    const c = await checkEverything(api, address, sent, finalRng, o.iterations + 1, true, checked);
    lost += c.lost;
    lossWindowMs = Math.max(lossWindowMs, c.lossWindowMs);
    out(`final restart: ${c.present} acked present, each pulled once and found by key and unique key${c.lost > 0 ? `, ${c.lost} LOST` : ''}`);
    const code = await broker!.stop();
    if (code !== 0) throw new CheckFailure(`the broker exited with ${code} on SIGTERM; its log:\n${tail(logPath)}`);
    const report = verifyStore(storeDir);
    if (report.errors.length > 0 || report.crashed) throw new CheckFailure(`store verify after a clean stop:\n${renderVerifyReport(report)}`);
    out(`store verify: ${report.commitLog.messages} messages, ${report.consumeQueues.units} units, ${report.index.entries} index entries: OK`);
  } catch (err) {
    failed = true;
    out(`FAILED: ${(err as Error).message}`);
    if (!(err instanceof CheckFailure)) out((err as Error).stack ?? '');
  } finally {
    await remoting.close();
    await broker?.kill();
    await mount?.unmount();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // Lost messages were removed from `sent`: count them back in.
  const ackedTotal = [...sent.values()].filter((m) => m.acked).length + lost;
  if (o.flush === 'ASYNC_FLUSH') {
    out(`async flush: ${lost} of ${ackedTotal} acked messages lost to ${o.fs === 'lazy' ? 'dropped unsynced bytes' : 'emulated power cuts'}; loss window: acknowledged within ${lossWindowMs} ms before the kill`);
  }
  const tooFew = ackedTotal < o.minAcked;
  out(`sends: ${ackedTotal} acked (minimum ${o.minAcked}${tooFew ? ': TOO FEW, the run proves little' : ''}), ` +
    `${failures.duringKill} failed or not acknowledged while a broker was being killed, ${failures.beforeKill.length} failed before any kill` +
    (failures.beforeKill.length > 0 ? `: ${failures.beforeKill.slice(0, 5).join('; ')}${failures.beforeKill.length > 5 ? '; ...' : ''}` : ''));
  const passed = !failed && !tooFew && failures.beforeKill.length === 0 && !(o.flush === 'SYNC_FLUSH' && lost > 0);
  // A failed run keeps its store for a look and a replay, whatever failed it.
  if (!passed) out(`store and broker log kept in ${runDir}; replay with ${replay}`);
  else if (!o.keep && o.dir === undefined) fs.rmSync(runDir, { recursive: true, force: true });
  out(`${o.iterations} iterations, ${checked.size} acked messages checked, ${lost} acked lost`);
  return passed ? 0 : 1;
}

/**
 * One producer: sequential sends until told to stop (the broker is killed under it). A send that
 * does not end in SUCCESS is counted: as expected once the kill began, as a failure before.
 */
async function produce(
  api: ClientApi, address: string, rng: SeededRandom, iteration: number, producer: number, sent: Map<string, Sent>,
  phase: { stopped: () => boolean; killing: () => boolean }, failures: SendFailures,
): Promise<void> {
  const fail = (why: string): void => {
    if (phase.killing()) failures.duringKill++;
    else failures.beforeKill.push(`iteration ${iteration} producer ${producer}: ${why}`);
  };
  for (let seq = 0; !phase.stopped(); seq++) {
    const size = rng.chance(0.05) ? rng.int(4096, 64 * 1024) : rng.int(1, 2048);
    const body = rng.fill(Buffer.alloc(size));
    const uniqKey = `F${iteration}P${producer}S${seq}R${rng.int(0, 1e9)}`;
    const key = `k-${uniqKey}`;
    const queueId = rng.int(0, QUEUES - 1);
    const m: Sent = { uniqKey, key, queueId, bodyCrc: rocketmqCrc32(body), bodyLength: size, iteration, acked: false, ackedAt: 0, offset: -1 };
    sent.set(uniqKey, m);
    const header: SendHeader = {
      producerGroup: 'fault-producer', topic: TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: QUEUES, queueId, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: encodeProperties({ KEYS: key, UNIQ_KEY: uniqKey, WAIT: 'true', TAGS: `t${producer}` }),
      reconsumeTimes: 0, unitMode: false, batch: false, brokerName: 'fault-broker',
    };
    try {
      const r = await api.sendMessage(address, header, body, 3000);
      // FLUSH_DISK_TIMEOUT is "sent" to clients but not durable: only SUCCESS counts as acknowledged.
      if (r.code === ResponseCode.SUCCESS) {
        m.acked = true;
        m.ackedAt = Date.now();
        m.offset = decodeOffsetMsgId(r.offsetMsgId).offset;
      } else {
        fail(`send answered code ${r.code} (stored, not durable)`);
      }
    } catch (err) {
      fail(`send failed: ${(err as Error).message}`);
      return; // the connection is gone
    }
  }
}

interface CheckResult {
  present: number;
  lost: number;
  lossWindowMs: number;
}

/**
 * Pulls every queue from its min to its max offset and looks keys up. Throws CheckFailure on
 * anything served that is invalid, unknown, altered or duplicated; counts acknowledged messages
 * not found as lost.
 */
async function checkEverything(
  api: ClientApi, address: string, sent: Map<string, Sent>, rng: SeededRandom, iteration: number, allKeys: boolean, checked: Set<string>,
): Promise<CheckResult> {
  const seen = new Set<string>();
  const summary = newRecordSummary();
  await Promise.all(Array.from({ length: QUEUES }, async (_, queueId) => {
    let offset = 0;
    for (;;) {
      const r = await api.pullMessage(address, {
        consumerGroup: GROUP, topic: TOPIC, queueId, queueOffset: offset, maxMsgNums: 32, sysFlag: PullSysFlag.SUBSCRIPTION,
        commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG', brokerName: 'fault-broker',
      }, 10_000);
      if (r.code === ResponseCode.PULL_OFFSET_MOVED && r.nextBeginOffset > offset) {
        offset = r.nextBeginOffset;
        continue;
      }
      if (r.code !== ResponseCode.SUCCESS) break;
      const body = r.body ?? Buffer.alloc(0);
      let pos = 0;
      while (pos < body.length) {
        readRecordSummary(body, pos, summary, body.length - pos, true, true);
        if (summary.status !== RecordStatus.MESSAGE) throw new CheckFailure(`queue ${queueId}: invalid record served (${summary.status}, CRC or structure) after offset ${offset}`);
        const msg = decodeStoredMessage(body.subarray(pos, pos + summary.totalSize));
        checkServed(msg, sent, `queue ${queueId} offset ${msg.queueOffset}`);
        if (msg.queueId !== queueId) throw new CheckFailure(`queue ${queueId} served a message of queue ${msg.queueId}`);
        const uniq = msg.properties.get(MessageConst.UNIQ_KEY)!;
        if (seen.has(uniq)) throw new CheckFailure(`message ${uniq} served twice (queue offset ${msg.queueOffset})`);
        seen.add(uniq);
        pos += summary.totalSize;
      }
      offset = r.nextBeginOffset;
    }
  }));

  let lost = 0;
  let lossWindowMs = 0;
  const missing: string[] = [];
  const acked = [...sent.values()].filter((m) => m.acked);
  for (const m of acked) {
    checked.add(m.uniqKey);
    if (seen.has(m.uniqKey)) continue;
    lost++;
    lossWindowMs = Math.max(lossWindowMs, m.ackedAt);
    if (missing.length < 5) missing.push(`${m.uniqKey} (queue ${m.queueId}, offset ${m.offset}, acked ${m.ackedAt} ms before the kill)`);
    // Lost for good: stop expecting it, so each loss counts once.
    m.acked = false;
    sent.delete(m.uniqKey);
  }
  if (missing.length > 0) process.stdout.write(`      acked but missing after the restart: ${missing.join(', ')}${lost > missing.length ? ', ...' : ''}\n`);

  // Keys: every message of the last iteration, and a sample of older ones (all of them at the end).
  const present = acked.filter((m) => seen.has(m.uniqKey));
  const recent = present.filter((m) => m.iteration === iteration - 1);
  const older = present.filter((m) => m.iteration !== iteration - 1);
  const sample = allKeys ? older : Array.from({ length: Math.min(OLDER_KEY_SAMPLE, older.length) }, () => rng.pick(older));
  const toLookUp = [...recent, ...sample];
  for (let i = 0; i < toLookUp.length; i += 32) {
    await Promise.all(toLookUp.slice(i, i + 32).map(async (m) => {
      await lookUp(api, address, sent, m, m.key, false);
      await lookUp(api, address, sent, m, m.uniqKey, true);
    }));
  }
  return { present: present.length, lost, lossWindowMs };
}

function checkServed(msg: ReturnType<typeof decodeStoredMessage>, sent: Map<string, Sent>, where: string): void {
  const uniq = msg.properties.get(MessageConst.UNIQ_KEY);
  const m = uniq === undefined ? undefined : sent.get(uniq);
  if (m === undefined) throw new CheckFailure(`${where}: served a message nobody sent (UNIQ_KEY ${uniq})`);
  if (msg.topic !== TOPIC || msg.body.length !== m.bodyLength || rocketmqCrc32(msg.body) !== m.bodyCrc || msg.properties.get(MessageConst.KEYS) !== m.key) {
    throw new CheckFailure(`${where}: message ${uniq} served altered`);
  }
}

async function lookUp(api: ClientApi, address: string, sent: Map<string, Sent>, m: Sent, key: string, unique: boolean): Promise<void> {
  const r = await api.invoke(address, RequestCode.QUERY_MESSAGE, encodeQueryMessageHeader({
    topic: TOPIC, key, maxNum: 32, beginTimestamp: 0, endTimestamp: Number.MAX_SAFE_INTEGER, uniqueKeyQuery: unique,
  }), undefined, 10_000);
  const what = `${unique ? 'unique key' : 'key'} ${key}`;
  if (r.code !== ResponseCode.SUCCESS) throw new CheckFailure(`${what}: acked message not found by the index (code ${r.code}: ${r.remark})`);
  const body = r.body ?? Buffer.alloc(0);
  const summary = newRecordSummary();
  let found = 0;
  for (let pos = 0; pos < body.length; pos += summary.totalSize) {
    readRecordSummary(body, pos, summary, body.length - pos, true, true);
    if (summary.status !== RecordStatus.MESSAGE) throw new CheckFailure(`${what}: invalid record served`);
    const msg = decodeStoredMessage(body.subarray(pos, pos + summary.totalSize));
    checkServed(msg, sent, what);
    if (msg.properties.get(MessageConst.UNIQ_KEY) !== m.uniqKey) throw new CheckFailure(`${what}: served another message (${msg.properties.get(MessageConst.UNIQ_KEY)})`);
    found++;
  }
  if (found !== 1) throw new CheckFailure(`${what}: ${found} messages served, expected exactly 1`);
}

if (import.meta.main) {
  runFaults(parseOptions(process.argv.slice(2))).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`faults: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(2);
    },
  );
}

export { parseOptions };
