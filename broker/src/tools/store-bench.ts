/**
 * `make bench-store`: what the store costs over the disk, and how long it takes to come back.
 *
 * 1. Append rate for 128 B, 1 KiB and 4 KiB bodies put in batches (putMessages, ASYNC_FLUSH, index
 *    on, UNIQ_KEY on every message as Java producers send it), against a bare loop that writes the
 *    same bytes sequentially to a file in the same run: the ratio is the store's efficiency.
 * 2. Restart time on a CommitLog of --restart-gb GiB (10 by default): after a clean stop, after a
 *    SIGKILL in the middle of appends, and after a SIGKILL with the checkpoint lost (the worst
 *    case: recovery scans the last three segments with CRC checks). The page cache is warm.
 *
 * Each store life runs in its own process, so a SIGKILL is real.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../logging/logger.ts';
import { tempDir } from '../harness/temp-dir.ts';
import { encodeProperties } from '../message/properties.ts';
import { MessageStore, type MessageToStore } from '../store/message-store.ts';

const TOPIC = 'BenchTopic';
const QUEUES = 8;
const BATCH = 32;
const IN_FLIGHT_BATCHES = 16;
const HOST = { address: '127.0.0.1', port: 10911 };
// Errors only: the bench's restarts would otherwise print a recovery summary each time.
const quiet = createLogger('store', { level: 'error' });

function batchOf(bodySize: number, seq: number): MessageToStore[] {
  const body = Buffer.alloc(bodySize, 0x61 + (seq % 26));
  const out: MessageToStore[] = [];
  for (let i = 0; i < BATCH; i++) {
    out.push({
      topic: TOPIC, queueId: (seq + i) % QUEUES, flag: 0, sysFlag: 0, bornTimestamp: Date.now(), bornHost: HOST, storeHost: HOST,
      reconsumeTimes: 0, preparedTransactionOffset: 0, body,
      // A Java producer's properties: UNIQ_KEY (32 hex), WAIT, TAGS; the broker adds CLUSTER.
      properties: encodeProperties({ UNIQ_KEY: (seq * BATCH + i).toString(16).toUpperCase().padStart(32, '7F000001'), WAIT: 'true', TAGS: 'TagA', CLUSTER: 'DefaultCluster' }),
    });
  }
  return out;
}

/** Appends batches until `bytes` of records are in the log; returns the seconds it took. */
async function appendUntil(store: MessageStore, bodySize: number, bytes: number): Promise<{ seconds: number; messages: number; bytes: number }> {
  const start = store.getCommitLogMaxOffset();
  // Built before the clock starts: making messages is the producer's and the send processor's work.
  const batches = Array.from({ length: 256 }, (_, i) => batchOf(bodySize, i));
  const t0 = performance.now();
  let seq = 0;
  let messages = 0;
  let appended = 0;
  const inFlight = new Set<Promise<void>>();
  while (appended < bytes) {
    const p: Promise<void> = store.putMessages(batches[seq++ % batches.length]!).then((r) => {
      if (r.status !== 'PUT_OK') throw new Error(`put failed: ${r.status} ${r.remark ?? ''}`);
      messages += r.messageCount;
      appended += r.wroteBytes;
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= IN_FLIGHT_BATCHES) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { seconds: (performance.now() - t0) / 1000, messages, bytes: store.getCommitLogMaxOffset() - start };
}

/** The ceiling: the same bytes, written sequentially in chunks of one batch's size, no store logic. */
function bareWriteLoop(file: string, chunkBytes: number, totalBytes: number): number {
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  const fd = fs.openSync(file, 'w');
  const t0 = performance.now();
  let pos = 0;
  while (pos < totalBytes) pos += fs.writeSync(fd, chunk, 0, chunk.length, pos);
  const seconds = (performance.now() - t0) / 1000;
  fs.closeSync(fd);
  fs.rmSync(file);
  return seconds;
}

const mb = (bytes: number, seconds: number) => (bytes / seconds / 1024 / 1024).toFixed(0);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function appendBench(dir: string, megabytes: number, rounds: number): Promise<void> {
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`append rate: ${megabytes} MiB per run, batches of ${BATCH}, ${IN_FLIGHT_BATCHES} in flight, ASYNC_FLUSH, index on;`);
  out(`  bare = the same bytes written sequentially in batch-sized chunks; median of ${rounds} alternating runs each`);
  out('  body   store msg/s   store MiB/s   bare MiB/s   store/bare');
  for (const bodySize of [128, 1024, 4096]) {
    const storeRates: number[] = [];
    const bareRates: number[] = [];
    const msgRates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const root = path.join(dir, `append-${bodySize}`);
      fs.rmSync(root, { recursive: true, force: true });
      const store = await MessageStore.open({ storePathRootDir: root }, { logger: quiet });
      const r = await appendUntil(store, bodySize, megabytes * 1024 * 1024);
      await store.shutdown();
      fs.rmSync(root, { recursive: true, force: true });
      const bareSeconds = bareWriteLoop(path.join(dir, 'bare'), Math.round((r.bytes / r.messages) * BATCH), r.bytes);
      storeRates.push(r.bytes / r.seconds);
      msgRates.push(r.messages / r.seconds);
      bareRates.push(r.bytes / bareSeconds);
    }
    const st = median(storeRates);
    const bare = median(bareRates);
    out(`  ${String(bodySize).padStart(4)}   ${String(Math.round(median(msgRates))).padStart(11)}   ${mb(st, 1).padStart(11)}   ${mb(bare, 1).padStart(10)}   ${(st / bare).toFixed(2).padStart(10)}`);
  }
}

/** Runs this file as a child in one of its roles; resolves with the JSON line it printed. */
function child(role: string, args: string[], onLine?: (line: string, kill: () => void) => void): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', import.meta.filename, '--child', role, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last: Record<string, unknown> = {};
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          last = JSON.parse(line) as Record<string, unknown>;
        } catch {
          process.stdout.write(line + '\n');
        }
        onLine?.(line, () => p.kill('SIGKILL'));
      }
    });
    p.on('exit', (code, signal) => (code === 0 || signal === 'SIGKILL' ? resolve(last) : reject(new Error(`${role} exited with ${code ?? signal}`))));
  });
}

async function restartBench(dir: string, gigabytes: number): Promise<void> {
  const out = (s: string) => process.stdout.write(s + '\n');
  const root = path.join(dir, 'restart');
  fs.rmSync(root, { recursive: true, force: true });
  const target = Math.round(gigabytes * 1024 * 1024 * 1024);
  out(`restart time on a ${gigabytes} GiB CommitLog (1 KiB bodies, 1 GiB segments; page cache warm)`);
  const fill = await child('fill', [root, String(target)]);
  out(`  filled ${(Number(fill.bytes) / 2 ** 30).toFixed(2)} GiB, ${fill.messages} messages in ${Number(fill.seconds).toFixed(1)} s (${mb(Number(fill.bytes), Number(fill.seconds))} MiB/s)`);
  const clean = await child('open', [root]);
  out(`  after a clean stop:                 ${String(clean.openMs).padStart(7)} ms  (scanned ${clean.scannedBytes} B, re-dispatched ${clean.redispatchedBytes} B)`);
  await child('write', [root], (line, kill) => {
    if (line.startsWith('{"writing"')) setTimeout(kill, 700);
  });
  const crash = await child('open', [root]);
  out(`  after SIGKILL during appends:       ${String(crash.openMs).padStart(7)} ms  (scanned ${crash.scannedBytes} B, re-dispatched ${crash.redispatchedBytes} B, clean=${crash.cleanShutdown})`);
  await child('write', [root], (line, kill) => {
    if (line.startsWith('{"writing"')) setTimeout(kill, 700);
  });
  for (const f of ['checkpoint', 'checkpoint.bak']) fs.rmSync(path.join(root, f));
  const lost = await child('open', [root]);
  out(`  after SIGKILL, checkpoint lost:     ${String(lost.openMs).padStart(7)} ms  (scanned ${lost.scannedBytes} B, re-dispatched ${lost.redispatchedBytes} B)`);
  fs.rmSync(root, { recursive: true, force: true });
}

async function childMain(role: string, args: string[]): Promise<void> {
  const root = args[0]!;
  const emit = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
  if (role === 'fill') {
    const store = await MessageStore.open({ storePathRootDir: root }, { logger: quiet });
    const r = await appendUntil(store, 1024, Number(args[1]));
    await store.shutdown();
    emit({ bytes: r.bytes, messages: r.messages, seconds: r.seconds });
  } else if (role === 'open') {
    const t0 = performance.now();
    const store = await MessageStore.open({ storePathRootDir: root }, { logger: quiet });
    const openMs = Math.round(performance.now() - t0);
    const r = store.recovery;
    emit({
      openMs, cleanShutdown: r.cleanShutdown, scannedBytes: r.commitLogEnd - r.scannedFrom, redispatchedBytes: r.commitLogEnd - r.redispatchedFrom,
    });
    await store.shutdown();
  } else if (role === 'write') {
    const store = await MessageStore.open({ storePathRootDir: root }, { logger: quiet });
    emit({ writing: true });
    // Appends until killed.
    await appendUntil(store, 1024, Number.MAX_SAFE_INTEGER);
  }
}

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    mb: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    'restart-gb': { type: 'string', default: '10' },
    dir: { type: 'string' },
    skip: { type: 'string', default: '' },
  },
  allowPositionals: true,
  strict: false,
});

if (typeof values.child === 'string') {
  await childMain(values.child, process.argv.slice(process.argv.indexOf(values.child) + 1));
} else {
  const dir = typeof values.dir === 'string' ? values.dir : tempDir('tern-bench-store-');
  fs.mkdirSync(dir, { recursive: true });
  const skip = String(values.skip).split(',');
  if (!skip.includes('append')) await appendBench(dir, Number(values.mb), Number(values.rounds));
  if (!skip.includes('restart')) await restartBench(dir, Number(values['restart-gb']));
  if (typeof values.dir !== 'string') fs.rmSync(dir, { recursive: true, force: true });
}
