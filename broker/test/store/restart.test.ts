import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { GetMessageStatus, PutMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { message, openStore, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

const store = useStores();

function bodies(s: MessageStore, topic: string, queueId: number): string[] {
  const out: string[] = [];
  for (let off = s.getMinOffsetInQueue(topic, queueId); off < s.getMaxOffsetInQueue(topic, queueId); ) {
    const g = s.getMessage(topic, queueId, off, 32);
    if (g.status !== GetMessageStatus.FOUND) throw new Error(`${g.status} at ${off}`);
    out.push(...decodeStoredMessages(g.body).map((m) => m.body.toString()));
    off = g.nextBeginOffset;
  }
  return out;
}

/**
 * Runs a store in a child process that puts `count` messages per queue of `topic` and then
 * exits without shutting down: a crash as far as the store can tell.
 */
function crashAfterPuts(root: string, topic: string, count: number, queues = 1, pad = 0): void {
  const fixtures = new URL('./store-fixtures.ts', import.meta.url).href;
  const script = `
    import { message, openStore } from ${JSON.stringify(fixtures)};
    const s = await openStore(${JSON.stringify(root)});
    const puts = [];
    for (let i = 0; i < ${count}; i++) for (let q = 0; q < ${queues}; q++) puts.push(s.putMessage(message(${JSON.stringify(topic)}, q, 'c' + i + '.'.repeat(${pad}))));
    const rs = await Promise.all(puts);
    if (rs.some((r) => r.status !== 'PUT_OK')) process.exit(2);
    process.exit(0);
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
}

afterAll(removeTempDirs);

describe('restart and recovery', () => {
  it('keeps everything across a clean restart and continues the offsets', async () => {
    const root = tempDir();
    let s = await openStore(root);
    const before = [];
    for (let i = 0; i < 120; i++) before.push(await s.putMessage(message('R', i % 2, `r${i}`, { TAGS: 'T' })));
    expect(fs.existsSync(join(root, 'abort'))).toBe(true);
    expect(fs.readFileSync(join(root, 'abort'), 'utf8')).toBe(String(process.pid));
    await s.shutdown();
    expect(fs.existsSync(join(root, 'abort'))).toBe(false);
    expect(fs.existsSync(join(root, 'checkpoint'))).toBe(true);

    s = await store(root);
    expect(s.recovery.cleanShutdown).toBe(true);
    expect(s.recovery.cutTail).toBe(false);
    const end = before.at(-1)!.wroteOffset + before.at(-1)!.wroteBytes;
    expect(s.getCommitLogMaxOffset()).toBe(end);
    expect(s.getMaxOffsetInQueue('R', 0)).toBe(60);
    expect(bodies(s, 'R', 1)).toEqual(Array.from({ length: 60 }, (_, k) => `r${k * 2 + 1}`));
    const next = await s.putMessage(message('R', 0, 'after'));
    expect(next.queueOffset).toBe(60);
    expect(next.wroteOffset).toBeGreaterThanOrEqual(end);
    expect(s.lookMessageByOffset(before[5]!.wroteOffset)?.body.toString()).toBe('r5');
  });

  it('rebuilds ConsumeQueues from the CommitLog after a crash', async () => {
    const root = tempDir();
    crashAfterPuts(root, 'Crash', 40, 3);
    expect(fs.existsSync(join(root, 'abort'))).toBe(true);
    // Lose the ConsumeQueues entirely: recovery must rebuild them from the CommitLog.
    fs.rmSync(join(root, 'consumequeue'), { recursive: true });
    const s = await store(root);
    expect(s.recovery.cleanShutdown).toBe(false);
    for (let q = 0; q < 3; q++) expect(bodies(s, 'Crash', q)).toEqual(Array.from({ length: 40 }, (_, i) => `c${i}`));
    expect((await s.putMessage(message('Crash', 2, 'next'))).queueOffset).toBe(40);
  });

  it('cuts a torn last record and never serves it', async () => {
    const root = tempDir();
    crashAfterPuts(root, 'Torn', 20);
    // Find the last record and damage its body (a torn write).
    let s = await openStore(root);
    const last = s.getMessage('Torn', 0, 19, 1);
    const lastOffset = decodeStoredMessages(last.body)[0]!.commitLogOffset;
    const end = s.getCommitLogMaxOffset();
    await s.shutdown();
    fs.writeFileSync(join(root, 'abort'), '1');
    const seg = join(root, 'commitlog', '00000000000000000000');
    const fd = fs.openSync(seg, 'r+');
    // BODY starts 88 bytes into a record with IPv4 hosts; only a CRC check can catch this.
    fs.writeSync(fd, Buffer.from('XYZ'), 0, 3, lastOffset + 88);
    fs.closeSync(fd);
    // The checkpoint says the whole log was flushed; a crash can leave it older. Make it so.
    for (const f of ['checkpoint', 'checkpoint.bak']) fs.rmSync(join(root, f));

    s = await store(root);
    expect(s.recovery.cutTail).toBe(true);
    expect(s.getCommitLogMaxOffset()).toBe(lastOffset);
    expect(s.getMaxOffsetInQueue('Torn', 0)).toBe(19);
    expect(s.getMessage('Torn', 0, 19, 32).status).toBe(GetMessageStatus.OFFSET_OVERFLOW_ONE);
    expect(s.lookMessageByOffset(lastOffset)).toBeNull();
    const again = await s.putMessage(message('Torn', 0, 'replacement'));
    expect([again.wroteOffset, again.queueOffset]).toEqual([lastOffset, 19]);
    expect(bodies(s, 'Torn', 0).at(-1)).toBe('replacement');
  });

  it('cuts garbage after the last record and truncated records', async () => {
    const root = tempDir();
    let s = await openStore(root);
    for (let i = 0; i < 10; i++) await s.putMessage(message('G', 0, `g${i}`));
    const end = s.getCommitLogMaxOffset();
    await s.shutdown();
    // A half-written record header past the end, as a crash mid-write leaves it.
    const seg = join(root, 'commitlog', '00000000000000000000');
    const fd = fs.openSync(seg, 'r+');
    const partial = Buffer.alloc(40, 0xab);
    partial.writeInt32BE(500, 0);
    partial.writeInt32BE(-626843481, 4);
    fs.writeSync(fd, partial, 0, partial.length, end);
    fs.closeSync(fd);
    fs.writeFileSync(join(root, 'abort'), '1');

    s = await store(root);
    expect(s.getCommitLogMaxOffset()).toBe(end);
    expect(s.recovery.cutTail).toBe(true);
    expect(bodies(s, 'G', 0)).toHaveLength(10);
    // The cut bytes were zeroed on disk.
    const after = Buffer.alloc(40);
    const rfd = fs.openSync(seg, 'r');
    fs.readSync(rfd, after, 0, 40, end);
    fs.closeSync(rfd);
    expect(after.every((b) => b === 0)).toBe(true);
  });

  it('recovers across segment rollover after a crash', async () => {
    const root = tempDir();
    crashAfterPuts(root, 'RollCrash', 300, 1, 500); // ~180 KB: three 64 KiB segments
    // Three segments of data, plus the next one if its pre-allocation finished before the crash.
    const segments = fs.readdirSync(join(root, 'commitlog')).filter((n) => /^\d{20}$/.test(n));
    expect(segments.length === 3 || segments.length === 4).toBe(true);
    const s = await store(root);
    expect(bodies(s, 'RollCrash', 0)).toHaveLength(300);
    const r = await s.putMessage(message('RollCrash', 0, 'x'.repeat(1000)));
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(r.queueOffset).toBe(300);
  });
});
