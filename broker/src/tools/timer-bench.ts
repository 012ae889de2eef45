/**
 * `make bench-timer`: what timer messages cost and how late they are, in one process over a real store.
 *
 * 1. Plain put rate: --plain messages put one by one into a normal topic (the baseline of the same run, after a warm-up).
 * 2. Timer enqueue rate: --pending timers spread over the next day put the way the send processor stores them (timer
 *    topic, REAL_TOPIC, TIMER_OUT_MS), then indexed into the timer log and the wheel; memory per pending timer is the
 *    heap + buffer growth of that indexing, after a GC.
 * 3. Burst: --burst timers due within one second, ten seconds ahead, on top of the pending ones; the timer store
 *    runs on its own timers and real clock; lateness = store time of the delivered copy - due time.
 * 4. Restart: the store and the timer store closed cleanly and opened again with everything still pending; the timer
 *    store's load (checkpoint + timer log -> wheel) is timed on its own.
 * 5. Restart after kill -9: a child process opens the same store and timer store, runs them, and is SIGKILLed; the
 *    store's recovery after the crash and the timer store's load are timed the same way.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../logging/logger.ts';
import { tempDir } from '../harness/temp-dir.ts';
import { encodeProperties, MessageConst } from '../message/properties.ts';
import { MessageStore, type MessageToStore } from '../store/message-store.ts';
import { TimerMessageStore } from '../timer/timer-message-store.ts';
import { TIMER_TOPIC } from '../timer/timer-messages.ts';

const HOST = { address: '127.0.0.1', port: 10911 };
const quiet = createLogger('bench', { level: 'error' });
const DAY = 86_400_000;

function message(topic: string, i: number, extra: Record<string, string> = {}, body = Buffer.from('x'.repeat(16))): MessageToStore {
  return {
    topic, queueId: 0, flag: 0, sysFlag: 0, bornTimestamp: Date.now(), bornHost: HOST, storeHost: HOST, reconsumeTimes: 0,
    preparedTransactionOffset: 0, body,
    properties: encodeProperties({ UNIQ_KEY: i.toString(16).toUpperCase().padStart(32, '7F000001'), WAIT: 'true', ...extra }),
  };
}

/** A timer message as the send processor stores it (see broker/timer-request.ts). */
function timerMessage(realTopic: string, i: number, dueMs: number): MessageToStore {
  return { ...message(TIMER_TOPIC, i, {
    [MessageConst.TIMER_OUT_MS]: String(dueMs), [MessageConst.REAL_TOPIC]: realTopic, [MessageConst.REAL_QID]: '0',
  }, Buffer.from(String(dueMs))) };
}

/** Puts one by one, up to `window` in flight, as concurrent producers do. */
async function putAll(store: MessageStore, n: number, make: (i: number) => MessageToStore, window = 256): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const r = await store.putMessage(make(next++));
      if (r.status !== 'PUT_OK') throw new Error(`put failed: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return (performance.now() - t0) / 1000;
}

function memory(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function openTimer(store: MessageStore, root: string): TimerMessageStore {
  const t = new TimerMessageStore({
    store, logDir: path.join(root, 'timerlog'), checkpointPath: path.join(root, 'config', 'timercheck.json'), precisionMs: 10,
    timerLogSegmentBytes: 32 * 1024 * 1024, flushIntervalMs: 1000, rollAfterMs: 36 * 3_600_000, log: quiet, deliver: true, storeHost: HOST,
  });
  t.load();
  return t;
}

function storeConfig(root: string) {
  return { storePathRootDir: root, mappedFileSizeCommitLog: 256 * 1024 * 1024 };
}

/** Runs a child that holds the store at `root` open with its timers running, and SIGKILLs it once it says so. */
async function killedHolder(root: string): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--hold', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const holding = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('holding')) resolve(); }));
  if (await Promise.race([holding.then(() => true), exited.then(() => false)]) === false) throw new Error('the store holder exited before it was killed');
  // Past one timer flush interval, so the child wrote what a running broker would have.
  await delay(1500);
  child.kill('SIGKILL');
  if ((await exited) !== 'SIGKILL') throw new Error('the store holder exited before it was killed');
}

/** The child of killedHolder: opens the store and the timer store, starts delivery, and waits to be killed. */
async function hold(root: string): Promise<void> {
  const store = await MessageStore.open(storeConfig(root), { logger: quiet });
  openTimer(store, root).start();
  process.stdout.write('holding\n');
  // The timer store's own timers do not keep a process alive; this one waits for the SIGKILL.
  setInterval(() => undefined, 60_000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pending: { type: 'string' }, burst: { type: 'string' }, plain: { type: 'string' }, hold: { type: 'string' } } });
  if (values.hold) return hold(values.hold);
  const pending = Number(values.pending ?? 1_000_000);
  const burst = Number(values.burst ?? 100_000);
  const plain = Number(values.plain ?? 200_000);
  const root = tempDir('tern-timer-bench-');
  const config = storeConfig(root);
  let store = await MessageStore.open(config, { logger: quiet });
  let timer = openTimer(store, root);
  const out: string[] = [`timer bench: ${pending} pending over a day, a burst of ${burst} due in one second; store ${root}`];

  // Warm the JIT and the page cache first, so neither rate below is the cold one.
  await putAll(store, Math.min(plain, 50_000), (i) => message('WarmUpTopic', i));
  const plainSeconds = await putAll(store, plain, (i) => message('PlainTopic', i));
  out.push(`plain put:        ${Math.round(plain / plainSeconds)} msg/s (${plain} messages)`);

  const now = Date.now();
  const putSeconds = await putAll(store, pending, (i) => timerMessage('TimerTopic', i, now + 60_000 + Math.floor((i * DAY) / pending)));
  const before = memory();
  const t0 = performance.now();
  timer.enqueue();
  const indexSeconds = (performance.now() - t0) / 1000;
  const perTimer = (memory() - before) / pending;
  out.push(`timer put:        ${Math.round(pending / putSeconds)} msg/s into ${TIMER_TOPIC} (plain/timer rate ratio ${((plain / plainSeconds) / (pending / putSeconds)).toFixed(2)})`);
  out.push(`timer indexing:   ${Math.round(pending / indexSeconds)} timers/s into the timer log and wheel`);
  out.push(`timer enqueue:    ${Math.round(pending / (putSeconds + indexSeconds))} timers/s end to end (put + index)`);
  out.push(`memory per timer: ${perTimer.toFixed(1)} bytes (heap + buffers after GC${(globalThis as { gc?: unknown }).gc ? '' : ', run with --expose-gc for exact figures'})`);

  // The burst: due within one second starting a few seconds from now, indexed as they arrive.
  timer.start();
  // Far enough ahead that the burst is stored and indexed before its first due time.
  const burstStart = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
  await putAll(store, burst, (i) => timerMessage('BurstTopic', pending + i, burstStart + Math.floor((i * 1000) / burst)));
  if (Date.now() > burstStart) out.push(`WARNING: the burst was stored after its first due time (${Date.now() - burstStart} ms late): lateness below includes that`);
  const deadline = Date.now() + 120_000;
  while (store.getMaxOffsetInQueue('BurstTopic', 0) < burst && Date.now() < deadline) await delay(50);
  const lateness: number[] = [];
  let early = 0;
  for (let o = 0; o < store.getMaxOffsetInQueue('BurstTopic', 0); o++) {
    const m = store.lookMessageByOffset(store.getCommitLogOffsetInQueue('BurstTopic', 0, o))!;
    const late = m.storeTimestamp - Number(m.body.toString());
    if (late < 0) early++;
    lateness.push(late);
  }
  lateness.sort((a, b) => a - b);
  out.push(`burst delivered:  ${lateness.length} of ${burst}; early: ${early}`);
  if (lateness.length > 0) out.push(`burst lateness:   p50 ${pct(lateness, 50)} ms, p99 ${pct(lateness, 99)} ms, max ${lateness.at(-1)} ms`);
  out.push(`still pending:    ${timer.stats().pending}`);

  await timer.stop();
  await store.shutdown();
  await timer.close();
  const r0 = performance.now();
  store = await MessageStore.open(config, { logger: quiet });
  const r1 = performance.now();
  timer = openTimer(store, root);
  const r2 = performance.now();
  out.push(`restart:          store ${Math.round(r1 - r0)} ms, timer store load ${Math.round(r2 - r1)} ms with ${timer.stats().pending} pending`);
  await timer.stop();
  await store.shutdown();
  await timer.close();

  await killedHolder(root);
  const k0 = performance.now();
  store = await MessageStore.open(config, { logger: quiet });
  const k1 = performance.now();
  timer = openTimer(store, root);
  const k2 = performance.now();
  out.push(`kill -9 restart:  store ${Math.round(k1 - k0)} ms, timer store load ${Math.round(k2 - k1)} ms with ${timer.stats().pending} pending`);
  await timer.close();
  await store.shutdown();
  fs.rmSync(root, { recursive: true, force: true });
  process.stdout.write(out.join('\n') + '\n');
}

await main();
