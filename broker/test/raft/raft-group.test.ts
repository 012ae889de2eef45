import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MAX_ENTRY_BYTES } from '../../src/raft/raft-group.ts';
import { removeTempDirs } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { LocalRaftCluster } from '../../src/harness/local-raft-cluster.ts';

/** Three RaftGroups on 127.0.0.1 with file-backed stores in temp folders: the whole runtime, real sockets and files. */
afterAll(removeTempDirs);
let cluster: LocalRaftCluster | null = null;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = null;
});

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString());
/** Proposes keys in turns of `perTurn`; the leader must accept every one. */
async function proposeAll(c: LocalRaftCluster, leader: number, keys: string[], perTurn = 200): Promise<number> {
  let last = 0;
  for (let i = 0; i < keys.length; i += perTurn) {
    for (const k of keys.slice(i, i + perTurn)) {
      const r = c.group(leader).propose(Buffer.from(k));
      if (!r.ok) throw new Error(`proposal ${k} refused: ${r.reason}`);
      last = r.index;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return last;
}

function expectSameLogs(c: LocalRaftCluster, upTo: number): void {
  const [first, ...rest] = c.running();
  const want = first!.applied.slice(0, upTo).map(text);
  for (const m of rest) expect(m.applied.slice(0, upTo).map(text), `member ${m.id}`).toEqual(want);
}

describe('raft group on 127.0.0.1', () => {
  it('elects, replicates 10k proposals in order, survives a leader stop and restart', async () => {
    cluster = await LocalRaftCluster.create(3);
    const c = cluster;
    await c.startAll();
    const leader = await c.waitForLeader();
    const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);
    const last = await proposeAll(c, leader, keys);
    await c.waitForApplied(last);
    expectSameLogs(c, last);
    const got = c.member(leader).applied.map(text).filter((k) => k !== null);
    expect(got).toEqual(keys);
    const follower = c.peers.find((p) => p.id !== leader)!.id;
    expect(c.group(leader).status().peers.find((p) => p.id === follower)!.match).toBe(last);

    const stoppedAt = performance.now();
    await c.stop(leader);
    const next = await c.waitForLeader(10_000);
    const elapsed = performance.now() - stoppedAt;
    console.log(`raft group: new leader ${next} ${Math.round(elapsed)} ms after leader ${leader} stopped`);
    expect(next).not.toBe(leader);
    expect(elapsed).toBeLessThan(5_000);
    // More than the leader's in-memory cache (4096 entries): the old leader's catch-up is read from the new leader's store.
    const more = Array.from({ length: 6000 }, (_, i) => `after-${i}`);
    const last2 = await proposeAll(c, next, more);
    await c.waitForApplied(last2);
    // The old leader restarts from its own files and catches up; every committed entry is there, in order.
    await c.start(leader);
    await c.waitForApplied(last2);
    expectSameLogs(c, last2);
    expect(c.member(leader).applied.map(text).filter((k) => k !== null)).toEqual([...keys, ...more]);
    expect(c.group(leader).role).toBe('follower');
  });

  it('refuses to start on a corrupt hard state file, and refuses an oversized proposal', async () => {
    cluster = await LocalRaftCluster.create(3);
    const c = cluster;
    const m = c.member(1);
    fs.mkdirSync(m.dir, { recursive: true });
    fs.writeFileSync(path.join(m.dir, 'hard-state'), Buffer.alloc(40, 7));
    await expect(c.start(1)).rejects.toThrow(/hard state .* refusing to start/);
    await c.stop(1);
    await c.start(2);
    await c.start(3);
    const leader = await c.waitForLeader();
    expect(c.group(leader).propose(Buffer.alloc(MAX_ENTRY_BYTES + 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/over the/) });
  });

  it('hands leadership over to a caught-up follower', async () => {
    cluster = await LocalRaftCluster.create(3);
    const c = cluster;
    await c.startAll();
    const leader = await c.waitForLeader();
    const last = await proposeAll(c, leader, Array.from({ length: 300 }, (_, i) => `t${i}`));
    await c.waitForApplied(last);
    const to = c.peers.find((p) => p.id !== leader)!.id;
    expect(await c.group(leader).transferLeadership(to)).toBe(true);
    expect(await c.waitForLeader()).toBe(to);
    expect(c.group(leader).propose(Buffer.from('x'))).toMatchObject({ ok: false, leader: to });
    expect(await c.group(to).transferLeadership('best')).toBe(true);
    const best = await c.waitForLeader();
    expect(best).not.toBe(to);
    const r = c.group(best).propose(Buffer.from('after-transfers'));
    if (!r.ok) throw new Error(r.reason);
    await c.waitForApplied(r.index);
    expectSameLogs(c, r.index);
  });

  it('a deposed leader\'s uncommitted tail is truncated and replaced by the new leader\'s entries', async () => {
    cluster = await LocalRaftCluster.create(3);
    const c = cluster;
    await c.startAll();
    const old = await c.waitForLeader();
    const base = await proposeAll(c, old, Array.from({ length: 50 }, (_, i) => `base${i}`));
    await c.waitForApplied(base);
    const [a, b] = c.peers.filter((p) => p.id !== old).map((p) => p.id) as [number, number];
    await c.stop(a);
    await c.stop(b);
    // Alone, the old leader writes entries no one else gets: they can never commit.
    const stale = await proposeAll(c, old, Array.from({ length: 20 }, (_, i) => `stale${i}`));
    await waitFor('the stale tail on the old leader\'s disk', () => c.member(old).store!.lastIndex() >= stale, 5000, 10);
    await c.stop(old);
    await c.start(a);
    await c.start(b);
    const next = await c.waitForLeader();
    const fresh = await proposeAll(c, next, Array.from({ length: 30 }, (_, i) => `fresh${i}`));
    await c.waitForApplied(fresh);
    await c.start(old);
    await c.waitForApplied(fresh);
    expectSameLogs(c, fresh);
    const oldStore = c.member(old).store!;
    const stored = oldStore.entries(base + 1, oldStore.lastIndex() + 1, Infinity).map((e) => (e.data === null ? null : Buffer.from(e.data).toString()));
    expect(stored.some((k) => k?.startsWith('stale'))).toBe(false);
    expect(stored.filter((k) => k?.startsWith('fresh'))).toHaveLength(30);
    expect(c.member(old).applied.map(text).some((k) => k?.startsWith('stale'))).toBe(false);
  });
});
