import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { GetMessageStatus } from '../../src/store/message-store.ts';
import type { MessageStore } from '../../src/store/message-store.ts';
import { message, openStore, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

const store = useStores();

async function fill(s: MessageStore, topic: string, n: number, body: (i: number) => string | Buffer = (i) => `m${i}`, tags?: (i: number) => string) {
  for (let i = 0; i < n; i++) await s.putMessage(message(topic, 0, body(i), tags ? { TAGS: tags(i) } : {}));
}

afterAll(removeTempDirs);

describe('getMessage status and nextBeginOffset (§6.7)', () => {
  it('answers an unknown or empty queue with NO_MESSAGE_IN_QUEUE and next 0', async () => {
    const s = await store(tempDir());
    const g = s.getMessage('None', 0, 5, 32);
    expect([g.status, g.nextBeginOffset, g.minOffset, g.maxOffset]).toEqual([GetMessageStatus.NO_MESSAGE_IN_QUEUE, 0, 0, 0]);
  });

  it('distinguishes offset == max, offset > max and offset in range', async () => {
    const s = await store(tempDir(), { mappedFileSizeConsumeQueue: 6_000_000 });
    await fill(s, 'Q', 5);
    const one = s.getMessage('Q', 0, 5, 32);
    expect([one.status, one.nextBeginOffset, one.maxOffset]).toEqual([GetMessageStatus.OFFSET_OVERFLOW_ONE, 5, 5]);
    const badly = s.getMessage('Q', 0, 9, 32);
    expect([badly.status, badly.nextBeginOffset]).toEqual([GetMessageStatus.OFFSET_OVERFLOW_BADLY, 5]);
    const found = s.getMessage('Q', 0, 2, 32);
    expect([found.status, found.nextBeginOffset, found.messageCount]).toEqual([GetMessageStatus.FOUND, 5, 3]);
    expect(found.messageQueueOffsets).toEqual([2, 3, 4]);
    expect(found.messages.map((m) => m.length).reduce((a, b) => a + b)).toBe(found.bufferTotalSize);
  });

  it('answers OFFSET_TOO_SMALL with next = min once the head files are gone', async () => {
    const root = tempDir();
    let s = await openStore(root); // 10 units per ConsumeQueue file
    await fill(s, 'Old', 25);
    await s.shutdown();
    fs.rmSync(join(root, 'consumequeue', 'Old', '0', '00000000000000000000'));
    s = await store(root);
    expect(s.getMinOffsetInQueue('Old', 0)).toBe(10);
    const g = s.getMessage('Old', 0, 3, 32);
    expect([g.status, g.nextBeginOffset, g.minOffset, g.maxOffset]).toEqual([GetMessageStatus.OFFSET_TOO_SMALL, 10, 10, 25]);
    expect(s.getMessage('Old', 0, 10, 32).status).toBe(GetMessageStatus.FOUND);
  });

  it('filters by tags code and moves past what it scanned', async () => {
    const s = await store(tempDir(), { mappedFileSizeConsumeQueue: 6_000_000 });
    await fill(s, 'Tags', 10, (i) => `m${i}`, (i) => (i % 3 === 0 ? 'A' : 'B'));
    const a = javaStringHash('A');
    const g = s.getMessage('Tags', 0, 0, 32, (code) => code === a);
    expect(g.status).toBe(GetMessageStatus.FOUND);
    expect(decodeStoredMessages(g.body).map((m) => [m.queueOffset, m.body.toString()])).toEqual([
      [0, 'm0'], [3, 'm3'], [6, 'm6'], [9, 'm9'],
    ]);
    expect(g.nextBeginOffset).toBe(10);
    const none = s.getMessage('Tags', 0, 1, 32, () => false);
    expect([none.status, none.nextBeginOffset, none.messageCount]).toEqual([GetMessageStatus.NO_MATCHED_MESSAGE, 10, 0]);
    // a full batch stops at the next unit, matching or not (RocketMQ checks fullness first)
    const two = s.getMessage('Tags', 0, 0, 2, (code) => code === a);
    expect(two.messageQueueOffsets).toEqual([0, 3]);
    expect(two.nextBeginOffset).toBe(4);
  });

  it('filters on the record’s properties', async () => {
    const s = await store(tempDir(), { mappedFileSizeConsumeQueue: 6_000_000 });
    for (let i = 0; i < 6; i++) await s.putMessage(message('Sql', 0, `m${i}`, { a: String(i) }));
    const g = s.getMessage('Sql', 0, 0, 32, undefined, (p) => Number(p.get('a')) % 2 === 1);
    expect(g.messageQueueOffsets).toEqual([1, 3, 5]);
    expect(decodeStoredMessages(g.body).map((m) => m.body.toString())).toEqual(['m1', 'm3', 'm5']);
    expect(g.messages.map((m) => m.length)).toEqual(decodeStoredMessages(g.body).map((m) => m.storeSize));
  });

  it('caps a batch at maxMsgNums and 32 messages', async () => {
    const s = await store(tempDir(), { mappedFileSizeConsumeQueue: 6_000_000 });
    await fill(s, 'Many', 50);
    expect(s.getMessage('Many', 0, 0, 5).messageCount).toBe(5);
    const g = s.getMessage('Many', 0, 0, 100);
    expect([g.messageCount, g.nextBeginOffset]).toEqual([32, 32]);
  });

  it('caps a batch at 256 KiB but always returns one message', async () => {
    const s = await store(tempDir(), { mappedFileSizeCommitLog: 4 * 1024 * 1024, mappedFileSizeConsumeQueue: 6_000_000 });
    await fill(s, 'Big', 4, (i) => Buffer.alloc(i === 3 ? 300 * 1024 : 100 * 1024, i));
    const g = s.getMessage('Big', 0, 0, 32);
    expect([g.messageCount, g.nextBeginOffset]).toEqual([2, 2]);
    expect(s.getMessage('Big', 0, 2, 32).messageCount).toBe(1);
    const huge = s.getMessage('Big', 0, 3, 32);
    expect([huge.messageCount, huge.nextBeginOffset]).toEqual([1, 4]);
    expect(huge.bufferTotalSize).toBeGreaterThan(256 * 1024);
  });
});
