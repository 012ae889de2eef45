import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { PutMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore, PutMessageResult, PutMessagesResult } from '../../src/store/message-store.ts';
import { chunkEnds, filesUnder, isSettled, nextTurn, queueBodies, recordChunks, segmentsBelow, useReplicatedStores } from './replicated-fixtures.ts';
import { message } from './store-fixtures.ts';

const replicated = useReplicatedStores();
const SEGMENT = 64 * 1024;

afterAll(removeTempDirs);

/** Puts `count` ~1 KiB messages over queues 0..2 of `topic`, a few per turn, so the leader announces many chunks. */
async function putSpread(s: MessageStore, topic: string, prefix: string, count: number): Promise<Promise<PutMessageResult>[]> {
  const puts: Promise<PutMessageResult>[] = [];
  for (let i = 0; i < count; i++) {
    puts.push(s.putMessage(message(topic, i % 3, `${prefix}${i}:` + 'y'.repeat(1000), { KEYS: `${prefix}${i}` })));
    if (i % 5 === 4) await nextTurn();
  }
  await nextTurn();
  return puts;
}

function bodiesOf(s: MessageStore, topic: string): string[][] {
  return [0, 1, 2].map((q) => queueBodies(s, topic, q).map((b) => b.split(':')[0]!));
}

describe('replicated store: followers, truncation and role switches', () => {
  it('a follower fed the leader\'s chunks ends byte-identical and dispatches the same ConsumeQueues', async () => {
    const leaderDir = tempDir();
    const followerDir = tempDir();
    const leader = await replicated(leaderDir);
    const follower = await replicated(followerDir);
    const log = recordChunks(leader);
    leader.setWritable(true);
    const puts = await putSpread(leader, 'F', 'm', 120);
    const batch: Promise<PutMessagesResult> = leader.putMessages([0, 1, 2].map((i) => message('F', 1, `batch${i}:z`)));
    await nextTurn();
    expect(leader.commitLogEnd).toBeGreaterThan(SEGMENT);

    log.replay(follower);
    expect(follower.commitLogEnd).toBe(leader.commitLogEnd);
    // The follower dispatches nothing before its confirm offset moves.
    expect(follower.getMaxOffsetInQueue('F', 0)).toBe(0);
    expect(follower.confirmOffset).toBe(0);

    // Confirm entry by entry on the follower, all at once on the leader.
    for (const end of chunkEnds(log)) follower.setConfirmOffset(end);
    leader.setConfirmOffset(leader.commitLogEnd);
    expect((await Promise.all(puts)).every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    expect((await batch).queueOffset).toBe(40);

    expect(bodiesOf(follower, 'F')).toEqual(bodiesOf(leader, 'F'));
    expect(bodiesOf(leader, 'F')[1]).toHaveLength(43);
    expect(follower.queryMessage('F', 'm7', 32, 0, Number.MAX_SAFE_INTEGER).messages).toHaveLength(1);

    const end = leader.commitLogEnd;
    await leader.shutdown();
    await follower.shutdown();
    const a = segmentsBelow(join(leaderDir, 'commitlog'), end);
    const b = segmentsBelow(join(followerDir, 'commitlog'), end);
    expect([...b.keys()]).toEqual([...a.keys()]);
    expect(a.size).toBeGreaterThanOrEqual(2);
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
    const cqA = filesUnder(join(leaderDir, 'consumequeue'));
    const cqB = filesUnder(join(followerDir, 'consumequeue'));
    expect([...cqB.keys()].sort()).toEqual([...cqA.keys()].sort());
    for (const [name, bytes] of cqA) expect(cqB.get(name)!.equals(bytes), name).toBe(true);
  });

  it('truncates across a segment boundary, fails the dropped puts, keeps the others, and continues at the cut', async () => {
    const oldLeader = await replicated(tempDir());
    const followerDir = tempDir();
    const follower = await replicated(followerDir);
    const newLeader = await replicated(tempDir());
    const oldLog = recordChunks(oldLeader);
    oldLeader.setWritable(true);
    const oldPuts = await putSpread(oldLeader, 'X', 'old', 100);
    expect(oldLeader.commitLogEnd).toBeGreaterThan(SEGMENT);
    oldLog.replay(follower);
    expect(fs.existsSync(join(followerDir, 'commitlog', String(SEGMENT).padStart(20, '0')))).toBe(true);

    // Committed: up to an entry end in segment 0. Kept by the new leader: one entry more, still in segment 0.
    const ends = chunkEnds(oldLog);
    const committedIdx = ends.findIndex((e) => e > SEGMENT / 3);
    const committed = ends[committedIdx]!;
    const kept = ends[committedIdx + 1]!;
    expect(kept).toBeLessThan(SEGMENT);
    for (const s of [oldLeader, follower]) s.setConfirmOffset(committed);
    const settled = await Promise.all(oldPuts.map((p) => isSettled(p)));
    const confirmedCount = settled.filter(Boolean).length;
    expect(settled.slice(0, confirmedCount).every(Boolean) && !settled.slice(confirmedCount).some(Boolean)).toBe(true);

    // The old leader loses leadership; the new one holds the log up to `kept`, commits it, then takes puts.
    oldLeader.setWritable(false);
    oldLog.replay(newLeader, 0);
    newLeader.truncateCommitLog(kept);
    newLeader.setConfirmOffset(kept);
    const newLog = recordChunks(newLeader);
    newLeader.setWritable(true);
    const newPuts = await putSpread(newLeader, 'X', 'new', 90);
    expect(newLeader.commitLogEnd).toBeGreaterThan(SEGMENT);

    // Refusals: below the confirm offset, inside a record, past the end, on a leader.
    expect(() => follower.truncateCommitLog(committed - 1)).toThrow(/only \[/);
    expect(() => follower.truncateCommitLog(kept + 8)).toThrow(/not a record boundary/);
    expect(() => follower.truncateCommitLog(follower.commitLogEnd + 1)).toThrow(/only \[/);
    expect(() => newLeader.truncateCommitLog(kept)).toThrow(/setWritable\(false\)/);

    for (const s of [oldLeader, follower]) {
      s.truncateCommitLog(kept);
      expect(s.commitLogEnd).toBe(kept);
      expect(s.readCommitLog(kept, 16)).toBeNull();
      if (s === follower) expect(fs.existsSync(join(followerDir, 'commitlog', String(SEGMENT).padStart(20, '0')))).toBe(false);
      newLog.replay(s);
    }
    expect(fs.existsSync(join(followerDir, 'commitlog', String(SEGMENT).padStart(20, '0')))).toBe(true);
    // The puts past the cut are answered at once; those below it wait for the new leader's commit.
    const answered = await Promise.all(oldPuts.map((p) => isSettled(p)));
    expect(answered.filter(Boolean).length).toBeGreaterThan(confirmedCount);
    expect(answered.some((x) => !x)).toBe(true);

    for (const s of [newLeader, oldLeader, follower]) s.setConfirmOffset(newLeader.commitLogEnd);
    const all = await Promise.all(oldPuts);
    const keptEnd = (r: PutMessageResult) => r.wroteOffset + r.wroteBytes;
    const ok = all.filter((r) => r.status === PutMessageStatus.PUT_OK);
    const failed = all.filter((r) => r.status !== PutMessageStatus.PUT_OK);
    expect(ok.length).toBeGreaterThan(confirmedCount);
    expect(ok.every((r) => keptEnd(r) <= kept)).toBe(true);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => r.status === PutMessageStatus.SERVICE_NOT_AVAILABLE && /leadership changed/.test(r.remark ?? ''))).toBe(true);
    expect((await Promise.all(newPuts)).every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);

    const expected = bodiesOf(newLeader, 'X');
    expect(expected.flat().filter((b) => b.startsWith('new'))).toHaveLength(90);
    expect(expected.flat().filter((b) => b.startsWith('old'))).toHaveLength(ok.length);
    expect(bodiesOf(follower, 'X')).toEqual(expected);
    expect(bodiesOf(oldLeader, 'X')).toEqual(expected);
    for (const s of [oldLeader, follower]) expect(s.readCommitLog(0, SEGMENT)!.equals(newLeader.readCommitLog(0, SEGMENT)!)).toBe(true);
    expect(follower.readCommitLog(SEGMENT, SEGMENT)!.equals(newLeader.readCommitLog(SEGMENT, SEGMENT)!)).toBe(true);
  });

  it('continues queue offsets after a role switch, right after the last committed message', async () => {
    const a = await replicated(tempDir());
    const b = await replicated(tempDir());
    const logA = recordChunks(a);
    const logB = recordChunks(b);
    a.setWritable(true);
    const first = [0, 1, 2, 3, 4].map((i) => a.putMessage(message('Q', 0, `a${i}`)));
    await nextTurn();
    logA.replay(b);
    a.setConfirmOffset(a.commitLogEnd);
    b.setConfirmOffset(a.commitLogEnd);
    expect((await Promise.all(first)).map((r) => r.queueOffset)).toEqual([0, 1, 2, 3, 4]);
    const sent = logA.chunks.length;
    // Three more on A that never reach B.
    const lost = [5, 6, 7].map((i) => a.putMessage(message('Q', 0, `a${i}`)));
    await nextTurn();

    a.setWritable(false);
    b.setWritable(true);
    const fromB = [0, 1].map((i) => b.putMessage(message('Q', 0, `b${i}`)));
    await nextTurn();
    a.truncateCommitLog(a.confirmOffset);
    logB.replay(a);
    b.setConfirmOffset(b.commitLogEnd);
    a.setConfirmOffset(b.commitLogEnd);
    expect((await Promise.all(fromB)).map((r) => r.queueOffset)).toEqual([5, 6]);
    expect((await Promise.all(lost)).every((r) => r.status === PutMessageStatus.SERVICE_NOT_AVAILABLE)).toBe(true);
    expect(logA.chunks.length).toBeGreaterThan(sent);

    b.setWritable(false);
    a.setWritable(true);
    const next = a.putMessage(message('Q', 0, 'a-next'));
    await nextTurn();
    a.setConfirmOffset(a.commitLogEnd);
    expect((await next).queueOffset).toBe(7);
    expect(queueBodies(a, 'Q', 0)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'a-next']);
  });
});
