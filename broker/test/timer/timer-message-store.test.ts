import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { decodeProperties } from '../../src/message/properties.ts';
import { applyTimer } from '../../src/broker/timer-request.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { TimerMessageStore } from '../../src/timer/timer-message-store.ts';
import { TIMER_TOPIC } from '../../src/timer/timer-messages.ts';
import { TimerLog } from '../../src/timer/timer-log.ts';
import { message, STORE_HOST, useStores } from '../store/store-fixtures.ts';

const log = createLogger('timer', { level: 'silent' });
const open = useStores();
const T0 = 1_800_000_000_000;
const SETTINGS = { timerWheelEnable: true, timerMaxDelaySec: 366 * 86_400 };

function timerStore(store: MessageStore, root: string, clock: { now: number }, deliver = true, precisionMs = 10, segmentBytes = 32 * 64) {
  const t = new TimerMessageStore({
    deliver,
    store, logDir: path.join(root, 'timerlog'), checkpointPath: path.join(root, 'config', 'timercheck.json'), precisionMs,
    timerLogSegmentBytes: segmentBytes, flushIntervalMs: 1000, log, storeHost: STORE_HOST, clock: () => clock.now,
    rollAfterMs: 36 * 3_600_000,
  });
  t.load();
  return t;
}

/** Stores a message due at `dueMs` the way the send processor does (the clock is T0 at send). */
async function sendTimer(store: MessageStore, topic: string, key: string, dueMs: number, sentAt = T0) {
  const msg = message(topic, 0, key, { UNIQ_KEY: key, KEYS: key, TIMER_DELIVER_MS: String(dueMs) });
  const props = decodeProperties(msg.properties);
  expect(applyTimer(msg, props, SETTINGS, sentAt)).toBe(true);
  expect((await store.putMessage(msg)).status).toBe('PUT_OK');
}

/** UNIQ_KEYs delivered to `topic` queue 0, in queue order. */
function delivered(store: MessageStore, topic: string): string[] {
  const out: string[] = [];
  for (let o = 0; o < store.getMaxOffsetInQueue(topic, 0); o++) {
    const m = store.lookMessageByOffset(store.getCommitLogOffsetInQueue(topic, 0, o));
    out.push(m!.properties.get('UNIQ_KEY')!);
    expect(m!.properties.get('TIMER_OUT_MS')).toBeUndefined();
    expect(m!.properties.get('REAL_TOPIC')).toBeUndefined();
  }
  return out;
}

describe('TimerMessageStore over a real MessageStore, with an injected clock', () => {
  it('delivers each timer once, never before its due time, in due order across wheel levels', async () => {
    const root = tempDir('tern-timer-');
    const store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    const clock = { now: T0 };
    const timer = timerStore(store, root, clock);
    // 1 ms, a slot edge, just past it, minutes, hours, days: several wheel levels at 10 ms slots.
    const delays = [1, 10, 11, 20, 999, 1000, 65_000, 3_600_000, 3_600_001, 86_400_000 * 3, 86_400_000 * 365];
    for (const [i, d] of [...delays].reverse().entries()) await sendTimer(store, 'real', `k${delays.length - 1 - i}@${d}`, T0 + d);
    expect(timer.enqueue()).toBe(delays.length);
    const dueOf = (key: string) => Number(key.split('@')[1]);
    const outAt = new Map<string, number>();
    const times = [...new Set(delays.flatMap((d) => [d - 1, Math.ceil((T0 + d) / 10) * 10 - T0]))].sort((x, y) => x - y);
    for (const at of times) {
      clock.now = T0 + at;
      await timer.deliverDue(clock.now);
      const out = delivered(store, 'real');
      for (const k of out) if (!outAt.has(k)) outAt.set(k, at);
      // In slot order (within a 10 ms slot, in send order); by the slot edge at or after its due time, each is out.
      const slots = out.map((k) => Math.ceil((T0 + dueOf(k)) / 10));
      expect(slots).toEqual([...slots].sort((x, y) => x - y));
      expect(out.length, `at +${at} ms`).toBe(delays.filter((d) => Math.ceil((T0 + d) / 10) * 10 <= T0 + at).length);
    }
    // Never early, at most one slot late.
    for (const [k, at] of outAt) {
      expect(at, k).toBeGreaterThanOrEqual(dueOf(k));
      expect(at - dueOf(k), k).toBeLessThan(10);
    }
    expect(outAt.size).toBe(delays.length);
    expect(timer.stats().pending).toBe(0);
    await timer.close();
  });

  it('a timer whose slot already passed when it is indexed goes out on the next pass', async () => {
    const root = tempDir('tern-timer-');
    const store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    const clock = { now: T0 };
    const timer = timerStore(store, root, clock);
    await timer.deliverDue(T0 + 5000);
    await sendTimer(store, 'late', 'L', T0 + 100);
    timer.enqueue();
    await timer.deliverDue(T0 + 5000);
    expect(delivered(store, 'late')).toEqual([]);
    await timer.deliverDue(T0 + 5010);
    expect(delivered(store, 'late')).toEqual(['L']);
    await timer.close();
  });

  it('keeps the id, keys, body and real queue; the timer message stays in the timer topic', async () => {
    const root = tempDir('tern-timer-');
    const store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    const clock = { now: T0 };
    const timer = timerStore(store, root, clock);
    const msg = message('realq', 3, 'payload', { UNIQ_KEY: 'U1', KEYS: 'a b', TAGS: 'tagA', TIMER_DELAY_MS: '5000' });
    applyTimer(msg, decodeProperties(msg.properties), SETTINGS, T0);
    await store.putMessage(msg);
    expect(store.getMaxOffsetInQueue(TIMER_TOPIC, 0)).toBe(1);
    timer.enqueue();
    await timer.deliverDue(T0 + 5000);
    const m = store.lookMessageByOffset(store.getCommitLogOffsetInQueue('realq', 3, 0))!;
    expect(m.body.toString()).toBe('payload');
    expect(m.properties.get('UNIQ_KEY')).toBe('U1');
    expect(m.properties.get('KEYS')).toBe('a b');
    expect(m.properties.get('TAGS')).toBe('tagA');
    expect(m.properties.get('TIMER_DELAY_MS')).toBeUndefined();
    expect(store.queryMessageByUniqueKey('realq', 'U1').map((x) => x.topic)).toEqual(['realq']);
    await timer.close();
  });

  it('a restart from the checkpoint delivers every pending timer once, none early; the timer log spans segments', async () => {
    const root = tempDir('tern-timer-');
    const clock = { now: T0 };
    let store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    let timer = timerStore(store, root, clock);
    const n = 500;
    for (let i = 0; i < n; i++) await sendTimer(store, 'restart', `r${i}`, T0 + 1 + ((i * 7919) % 20_000));
    timer.enqueue();
    clock.now = T0 + 10_000;
    await timer.deliverDue(clock.now);
    const before = delivered(store, 'restart');
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(n);
    await timer.persist();
    // Indexed after the checkpoint: the restart indexes these again from the ConsumeQueue.
    for (let i = n; i < n + 50; i++) await sendTimer(store, 'restart', `r${i}`, T0 + 15_000 + i);
    timer.enqueue();
    expect(fs.readdirSync(path.join(root, 'timerlog')).length).toBeGreaterThan(1);
    // Stop without a final checkpoint, as a crash would.
    await store.shutdown();
    store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    timer = timerStore(store, root, clock);
    expect(timer.stats().pending).toBe(n - before.length);
    timer.enqueue();
    expect(timer.stats().pending).toBe(n + 50 - before.length);
    clock.now = T0 + 10_000;
    await timer.deliverDue(clock.now);
    expect(delivered(store, 'restart')).toEqual(before);
    clock.now = T0 + 30_000;
    await timer.deliverDue(clock.now);
    const all = delivered(store, 'restart');
    expect(new Set(all).size).toBe(n + 50);
    expect(all.length).toBe(n + 50);
    await timer.persist();
    // Wholly delivered timer log segments are deleted.
    expect(fs.readdirSync(path.join(root, 'timerlog')).length).toBe(1);
    await timer.close();
  });

  it('a replica indexing the same queue drops what the master\'s progress marker says was delivered', async () => {
    const root = tempDir('tern-timer-');
    const store = await open(root, { flushDiskType: 'SYNC_FLUSH' });
    const clock = { now: T0 };
    const master = timerStore(store, root, clock);
    for (let i = 0; i < 20; i++) await sendTimer(store, 'repl', `p${i}`, T0 + 1000 * (i + 1));
    master.enqueue();
    await master.deliverDue(T0 + 10_000);
    await master.persist();
    // A second indexer over the same CommitLog (as a slave's), never delivering.
    const replicaRoot = tempDir('tern-timer-replica-');
    const replica = timerStore(store, replicaRoot, clock, false);
    replica.enqueue();
    expect(replica.stats().pending).toBe(10);
    expect(replica.stats().deliveredUpToMs).toBe(T0 + 10_000);
    await master.close();
    await replica.close();
  });
});

describe('timers outliving CommitLog retention', () => {
  it('a 30-day timer is rolled forward and still delivered after retention deleted its original segment', async () => {
    const root = tempDir('tern-timer-roll-');
    const store = await open(root, { flushDiskType: 'SYNC_FLUSH', fileReservedTime: 72 });
    const now = Date.now();
    const clock = { now };
    const timer = timerStore(store, root, clock);
    const month = 30 * 86_400_000;
    await sendTimer(store, 'roll', 'LONG', now + month, now);
    await sendTimer(store, 'roll', 'SHORT', now + 3_600_000, now);
    timer.enqueue();
    const original = store.getCommitLogOffsetInQueue(TIMER_TOPIC, 0, 0);
    const filler = Buffer.alloc(8 * 1024, 1);
    const fill = async (n: number) => {
      for (let i = 0; i < n; i++) expect((await store.putMessage(message('filler', 0, filler))).status).toBe('PUT_OK');
    };
    await fill(20); // a few 64 KB segments past the timer's
    // Two days later: the short one is delivered; the long one is older than rollAfterMs and is rolled.
    clock.now = now + 2 * 86_400_000;
    await timer.deliverDue(clock.now);
    expect(delivered(store, 'roll')).toEqual(['SHORT']);
    expect(await timer.rollOld(clock.now)).toBe(1);
    expect(await timer.rollOld(clock.now)).toBe(0);
    timer.enqueue();
    expect(timer.stats().pending).toBe(1);
    // The copy is in the segment being written (the file times here are real, the timer's clock is simulated).
    // Four days in: retention (72 h) deletes every segment but the one being written, the timer's original among them.
    store.executeDeleteFilesManually();
    const run = await store.cleanFiles(now + 4 * 86_400_000);
    expect(run?.deletedSegments).toBeGreaterThan(0);
    expect(store.getCommitLogMinOffset()).toBeGreaterThan(original);
    expect(store.lookMessageByOffset(original)).toBeNull();
    // The rolled copy is itself rolled again before its own segment could expire, and is delivered on day 30.
    clock.now = now + 20 * 86_400_000;
    await timer.deliverDue(clock.now);
    expect(await timer.rollOld(clock.now)).toBe(1);
    timer.enqueue();
    clock.now = now + month - 1;
    await timer.deliverDue(clock.now);
    expect(delivered(store, 'roll')).toEqual(['SHORT']);
    clock.now = now + month + 10;
    await timer.deliverDue(clock.now);
    expect(delivered(store, 'roll')).toEqual(['SHORT', 'LONG']);
    const got = store.lookMessageByOffset(store.getCommitLogOffsetInQueue('roll', 0, 1))!;
    expect(got.properties.get('TIMER_ROLL_TIMES')).toBeUndefined();
    expect(got.body.toString()).toBe('LONG');
    expect(timer.stats()).toMatchObject({ pending: 0, rolled: 2, delivered: 2 });
    await timer.close();
  });
});

describe('TimerLog', () => {
  it('cuts records past the trusted end on open', () => {
    const dir = tempDir('tern-timerlog-');
    const tl = TimerLog.open(dir, 32 * 4, 0);
    for (let i = 0; i < 10; i++) tl.append({ dueMs: i, commitLogOffset: i * 100, size: 10, prev: i - 1, kind: 1 });
    tl.close();
    const again = TimerLog.open(dir, 32 * 4, 6);
    expect(again.end).toBe(6);
    expect(again.read(5)).toEqual({ dueMs: 5, commitLogOffset: 500, size: 10, prev: 4, kind: 1 });
    expect(() => again.read(6)).toThrow(/no record/);
    expect(again.append({ dueMs: 99, commitLogOffset: 1, size: 1, prev: -1, kind: 2 })).toBe(6);
    again.close();
  });
});
