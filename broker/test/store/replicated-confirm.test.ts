import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';
import { PutMessageStatus } from '../../src/store/message-store.ts';
import type { PutMessageResult } from '../../src/store/message-store.ts';
import { isSettled, nextTurn, queueBodies, recordChunks, recordEnds, useReplicatedStores } from './replicated-fixtures.ts';
import { message, useStores } from './store-fixtures.ts';

const replicated = useReplicatedStores();
const plain = useStores();

afterAll(removeTempDirs);

describe('replicated store: the confirm offset gates dispatch, reads and put answers', () => {
  it('dispatches, serves and answers only what is confirmed', async () => {
    const s = await replicated(tempDir());
    const chunks = recordChunks(s);
    s.setWritable(true);
    const puts = [0, 1, 2, 3, 4].map((i) => s.putMessage(message('T', 0, `m${i}`, { KEYS: `k${i}` })));
    await nextTurn();
    for (const p of puts) expect(await isSettled(p)).toBe(false);

    const ends = recordEnds(chunks);
    expect(ends).toHaveLength(5);
    expect(s.commitLogEnd).toBe(ends[4]);
    expect(chunks.chunks[0]!.start).toBe(0);
    // Written, announced, but not visible.
    expect(s.confirmOffset).toBe(0);
    expect(s.getCommitLogMaxOffset()).toBe(0);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(0);
    expect(s.selectOneMessageByOffset(0)).toBeNull();
    expect(s.queryMessage('T', 'k0', 32, 0, Number.MAX_SAFE_INTEGER).messages).toHaveLength(0);
    // Raft's entries hold the bytes: readCommitLog reads past the confirm offset.
    expect(s.readCommitLog(0, 1 << 20)!.equals(Buffer.concat(chunks.chunks.map((c) => c.bytes)))).toBe(true);

    s.setConfirmOffset(ends[2]!);
    const first = await Promise.all(puts.slice(0, 3));
    expect(first.map((r) => [r.status, r.queueOffset])).toEqual([[PutMessageStatus.PUT_OK, 0], [PutMessageStatus.PUT_OK, 1], [PutMessageStatus.PUT_OK, 2]]);
    for (const p of puts.slice(3)) expect(await isSettled(p)).toBe(false);
    expect(s.confirmOffset).toBe(ends[2]);
    expect(s.getCommitLogMaxOffset()).toBe(ends[2]);
    expect(queueBodies(s, 'T', 0)).toEqual(['m0', 'm1', 'm2']);
    expect(s.selectOneMessageByOffset(ends[1]!)).not.toBeNull();
    expect(s.selectOneMessageByOffset(ends[2]!)).toBeNull();
    expect(s.queryMessage('T', 'k2', 32, 0, Number.MAX_SAFE_INTEGER).messages).toHaveLength(1);
    expect(s.queryMessage('T', 'k3', 32, 0, Number.MAX_SAFE_INTEGER).messages).toHaveLength(0);

    // Never backwards; never inside a record or past the written end; a refused call changes nothing.
    s.setConfirmOffset(ends[1]!);
    expect(s.confirmOffset).toBe(ends[2]);
    expect(() => s.setConfirmOffset(ends[2]! + 4)).toThrow(/not a record boundary/);
    expect(() => s.setConfirmOffset(ends[4]! + 100)).toThrow(/written up to/);
    expect(s.confirmOffset).toBe(ends[2]);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(3);

    s.setConfirmOffset(ends[4]!);
    const rest = await Promise.all(puts.slice(3));
    expect(rest.map((r) => [r.status, r.queueOffset])).toEqual([[PutMessageStatus.PUT_OK, 3], [PutMessageStatus.PUT_OK, 4]]);
    expect(queueBodies(s, 'T', 0)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('wakes held pulls when a confirm makes messages pullable, before their senders hear', async () => {
    const s = await replicated(tempDir());
    const chunks = recordChunks(s);
    const events: string[] = [];
    s.onMessageArrived((topic, queueId, logicOffset) => events.push(`arrived ${topic}/${queueId} max=${logicOffset}`));
    s.setWritable(true);
    const puts = [0, 1, 2].map((i) => s.putMessage(message('H', 1, `h${i}`)));
    puts.forEach((p, i) => void p.then((r) => events.push(`put ${i} ${r.status}`)));
    await nextTurn();
    await nextTurn();
    expect(events).toEqual([]);

    const ends = recordEnds(chunks);
    s.setConfirmOffset(ends[1]!);
    await Promise.all(puts.slice(0, 2));
    expect(events).toEqual(['arrived H/1 max=1', 'arrived H/1 max=2', 'put 0 PUT_OK', 'put 1 PUT_OK']);
    s.setConfirmOffset(ends[2]!);
    await puts[2];
    expect(events.slice(4)).toEqual(['arrived H/1 max=3', 'put 2 PUT_OK']);
  });

  it('announces a segment-end blank with its zero filler, and confirms across the segment end', async () => {
    const s = await replicated(tempDir(), { flushDiskType: 'SYNC_FLUSH' });
    const chunks = recordChunks(s);
    s.setWritable(true);
    const segment = 64 * 1024;
    const puts: Promise<PutMessageResult>[] = [];
    // ~3 KiB records in separate turns: several chunks, one of them closing segment 0.
    for (let i = 0; i < 30; i++) {
      puts.push(s.putMessage(message('B', 0, `b${i}:` + 'x'.repeat(3000))));
      if (i % 4 === 3) await nextTurn();
    }
    await nextTurn();
    expect(s.commitLogEnd).toBeGreaterThan(segment);
    const closing = chunks.chunks.find((c) => c.start < segment && c.start + c.bytes.length >= segment)!;
    expect(closing.start + closing.bytes.length).toBe(segment);
    // Reading the chunk's bytes back from the file gives the same blank head and zeros.
    expect(s.readCommitLog(closing.start, segment)!.equals(closing.bytes)).toBe(true);
    expect(closing.bytes.subarray(closing.bytes.length - 16).every((b) => b === 0)).toBe(true);

    s.setConfirmOffset(segment);
    // The records of segment 0 (its blank's end is among the ends too).
    const inFirst = recordEnds(chunks).filter((e) => e <= segment).length - 1;
    const results = await Promise.all(puts.slice(0, inFirst));
    expect(results.every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    expect(await isSettled(puts[inFirst]!)).toBe(false);
    s.setConfirmOffset(s.commitLogEnd);
    expect((await Promise.all(puts)).every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    expect(queueBodies(s, 'B', 0)).toHaveLength(30);
  });

  it('takes a confirm from inside onAppended (a one-member group commits at once), across segment ends', async () => {
    const s = await replicated(tempDir());
    s.onAppended((chunk, start) => s.setConfirmOffset(start + chunk.length));
    s.setWritable(true);
    const puts = Array.from({ length: 60 }, (_, i) => s.putMessage(message('S', i % 2, `s${i}:` + 'q'.repeat(3000))));
    const results = await Promise.all(puts);
    expect(results.every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
    expect(s.commitLogEnd).toBeGreaterThan(2 * 64 * 1024);
    expect(s.confirmOffset).toBe(s.commitLogEnd);
    expect(queueBodies(s, 'S', 0).length + queueBodies(s, 'S', 1).length).toBe(60);
  });

  it('refuses puts while not writable; stepping down fails the puts not yet written', async () => {
    const s = await replicated(tempDir());
    const chunks = recordChunks(s);
    const refused = await s.putMessage(message('W', 0, 'early'));
    expect(refused.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    expect(refused.remark).toMatch(/not the leader/);

    s.setWritable(true);
    expect(s.writable).toBe(true);
    const buffered = s.putMessage(message('W', 0, 'lost'));
    s.setWritable(false);
    const lost = await buffered;
    expect(lost.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    expect(lost.remark).toMatch(/leadership changed/);
    expect(chunks.chunks).toHaveLength(0);
    expect(s.commitLogEnd).toBe(0);

    // Written but unconfirmed bytes keep a replica from taking puts.
    s.setWritable(true);
    const pending = s.putMessage(message('W', 0, 'pending'));
    await nextTurn();
    s.setWritable(false);
    expect(() => s.setWritable(true)).toThrow(/before everything written is confirmed/);
    s.setConfirmOffset(s.commitLogEnd);
    expect((await pending).status).toBe(PutMessageStatus.PUT_OK);
    s.setWritable(true);
    const next = s.putMessage(message('W', 0, 'next'));
    await nextTurn();
    s.setConfirmOffset(s.commitLogEnd);
    // The dropped put's queue offset was handed out again: the queue has no gap.
    expect(((await pending).queueOffset)).toBe(0);
    expect((await next).queueOffset).toBe(1);
    expect(queueBodies(s, 'W', 0)).toEqual(['pending', 'next']);
  });

  it('is refused on a store that is not replicated, which keeps dispatching at write', async () => {
    const s = await plain(tempDir());
    expect(() => s.setConfirmOffset(0)).toThrow(/replicated store/);
    expect(() => s.onAppended(() => undefined)).toThrow(/replicated store/);
    expect(() => s.truncateCommitLog(0)).toThrow(/replicated store/);
    expect(() => s.setWritable(false)).toThrow(/replicated store/);
    const r = await s.putMessage(message('P', 0, 'p'));
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(s.getCommitLogMaxOffset()).toBe(r.wroteBytes);
    expect(queueBodies(s, 'P', 0)).toEqual(['p']);
  });
});
