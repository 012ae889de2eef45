import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { PutMessageStatus } from '../../src/store/message-store.ts';
import { StoreCheckpoint } from '../../src/store/store-checkpoint.ts';
import { nextTurn, queueBodies, recordChunks, recordEnds, useReplicatedStores } from './replicated-fixtures.ts';
import { message, openStore } from './store-fixtures.ts';

const replicated = useReplicatedStores();

afterAll(removeTempDirs);

/**
 * Runs `body` in a child process with `store` (replicated, opened on `root`), `chunks` (what it announced) and
 * `persisted` (waits for the checkpoint to show something) in scope, prints its result and exits without shutdown.
 */
function crashAfter(root: string, body: string, leaderRoot = ''): unknown {
  const fixtures = new URL('./replicated-fixtures.ts', import.meta.url).href;
  const storeFixtures = new URL('./store-fixtures.ts', import.meta.url).href;
  const checkpoint = new URL('../../src/store/store-checkpoint.ts', import.meta.url).href;
  const script = `
    import { REPLICATED, nextTurn, recordChunks, recordEnds } from ${JSON.stringify(fixtures)};
    import { message, openStore } from ${JSON.stringify(storeFixtures)};
    import { StoreCheckpoint } from ${JSON.stringify(checkpoint)};
    const root = ${JSON.stringify(root)};
    const leaderRoot = ${JSON.stringify(leaderRoot)};
    const store = await openStore(root, { flushIntervalConsumeQueue: 20, flushIntervalCommitLog: 20 }, REPLICATED);
    const chunks = recordChunks(store);
    const persisted = async (what, ok) => {
      for (let i = 0; i < 500; i++) {
        const cp = new StoreCheckpoint(root + '/checkpoint');
        cp.load();
        if (ok(cp)) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('checkpoint never showed ' + what);
    };
    void message; void nextTurn; void recordEnds; void persisted; void leaderRoot;
    const out = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(out));
    process.exit(0);
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
}

describe('replicated store: recovery', () => {
  it('after a clean stop keeps the unconfirmed tail out of the queues until the Raft layer confirms it', async () => {
    const root = tempDir();
    let s = await openStore(root, {}, { replicated: true });
    const chunks = recordChunks(s);
    s.setWritable(true);
    const puts = Array.from({ length: 10 }, (_, i) => s.putMessage(message('R', 0, `r${i}`)));
    await nextTurn();
    const ends = recordEnds(chunks);
    s.setConfirmOffset(ends[5]!);
    await s.shutdown();
    const results = await Promise.all(puts);
    expect(results.slice(0, 6).every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    expect(results.slice(6).every((r) => r.status === PutMessageStatus.SERVICE_NOT_AVAILABLE && /may or may not/.test(r.remark ?? ''))).toBe(true);

    s = await replicated(root);
    expect(s.recovery.cleanShutdown).toBe(true);
    expect(s.recovery.commitLogEnd).toBe(ends[9]);
    expect(s.recovery.confirmOffset).toBe(ends[5]);
    expect(s.confirmOffset).toBe(ends[5]);
    expect(s.commitLogEnd).toBe(ends[9]);
    expect(s.writable).toBe(false);
    expect(queueBodies(s, 'R', 0)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect((await s.putMessage(message('R', 0, 'refused'))).status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    // The Raft layer learns those entries committed.
    s.setConfirmOffset(ends[9]!);
    expect(queueBodies(s, 'R', 0)).toHaveLength(10);
    s.setWritable(true);
    const next = s.putMessage(message('R', 0, 'r10'));
    await nextTurn();
    s.setConfirmOffset(s.commitLogEnd);
    expect((await next).queueOffset).toBe(10);
  });

  it('after a crash builds the queues only up to the persisted confirm offset', () => {
    const root = tempDir();
    const ends = crashAfter(root, `
      store.setWritable(true);
      for (let i = 0; i < 10; i++) void store.putMessage(message('C', 0, 'c' + i));
      await nextTurn();
      const ends = recordEnds(chunks);
      store.setConfirmOffset(ends[5]);
      await persisted('confirm ' + ends[5], (cp) => cp.confirmPhyOffset === ends[5] && cp.commitLogFlushedOffset === ends[9]);
      // Dispatched (ConsumeQueue units written) but never persisted as confirmed.
      store.setConfirmOffset(ends[9]);
      return ends;
    `) as number[];
    return (async () => {
      const s = await replicated(root);
      expect(s.recovery.cleanShutdown).toBe(false);
      expect(s.recovery.commitLogEnd).toBe(ends[9]);
      expect(s.recovery.cutTail).toBe(false);
      expect(s.recovery.confirmOffset).toBe(ends[5]);
      expect(s.getMaxOffsetInQueue('C', 0)).toBe(6);
      s.setConfirmOffset(ends[9]!);
      expect(queueBodies(s, 'C', 0)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    })();
  });

  it('never recovers past a truncation, even when the cut bytes were flushed before a crash', async () => {
    const root = tempDir();
    const segment = 64 * 1024;
    const { confirmed, cut, end } = crashAfter(root, `
      const leader = await openStore(leaderRoot, {}, REPLICATED);
      const log = recordChunks(leader);
      leader.setWritable(true);
      for (let i = 0; i < 90; i++) { void leader.putMessage(message('T', 0, 't' + i + ':' + 'x'.repeat(1000))); if (i % 5 === 4) await nextTurn(); }
      await nextTurn();
      log.replay(store);
      const entryEnds = log.chunks.map((c) => c.start + c.bytes.length);
      const confirmed = entryEnds[2];
      const cut = entryEnds[4];
      store.setConfirmOffset(confirmed);
      const end = store.commitLogEnd;
      await store.flushCommitLog();
      await persisted('flushed ' + end, (cp) => cp.commitLogFlushedOffset === end && cp.confirmPhyOffset === confirmed);
      store.truncateCommitLog(cut);
      return { confirmed, cut, end };
    `, tempDir()) as { confirmed: number; cut: number; end: number };
    expect(end).toBeGreaterThan(segment);
    const cp = new StoreCheckpoint(join(root, 'checkpoint'));
    cp.load();
    expect(cp.commitLogFlushedOffset).toBeLessThanOrEqual(cut);

    const s = await replicated(root);
    expect(s.recovery.cleanShutdown).toBe(false);
    expect(s.recovery.commitLogEnd).toBe(cut);
    expect(s.recovery.confirmOffset).toBe(confirmed);
    expect(s.readCommitLog(cut, 16)).toBeNull();
    s.setConfirmOffset(cut);
    expect(queueBodies(s, 'T', 0).length).toBeGreaterThan(0);
  });
});
