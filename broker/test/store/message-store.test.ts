import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import {
  BLANK_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V1,
  decodeStoredMessage,
  decodeStoredMessages,
} from '../../src/message/stored-message.ts';
import { MessageSysFlag } from '../../src/message/sys-flag.ts';
import { GetMessageStatus, MessageStore, PutMessageStatus } from '../../src/store/message-store.ts';
import { STORE_HOST, message, useStores } from './store-fixtures.ts';
import { removeTempDirs, tempDir } from '../../src/harness/temp-dir.ts';

const store = useStores();

afterAll(removeTempDirs);

describe('MessageStore put/get', () => {
  it('stores a message and serves its record byte for byte', async () => {
    const root = tempDir();
    const s = await store(root);
    const msg = message('TopicA', 1, 'hello', { TAGS: 'TagA', UNIQ_KEY: 'U1' });
    const r = await s.putMessage(msg);
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(r.wroteOffset).toBe(0);
    expect(r.queueOffset).toBe(0);
    expect(decodeOffsetMsgId(r.msgId)).toEqual({ ...STORE_HOST, offset: 0 });

    const g = s.getMessage('TopicA', 1, 0, 32);
    expect(g.status).toBe(GetMessageStatus.FOUND);
    expect([g.minOffset, g.maxOffset, g.nextBeginOffset, g.messageCount]).toEqual([0, 1, 1, 1]);
    expect(g.body.length).toBe(r.wroteBytes);
    expect(g.body.readInt32BE(4)).toBe(MESSAGE_MAGIC_CODE_V1);
    const m = decodeStoredMessage(g.body);
    expect(m).toMatchObject({ topic: 'TopicA', queueId: 1, queueOffset: 0, commitLogOffset: 0, storeTimestamp: r.storeTimestamp });
    expect(m.body.toString()).toBe('hello');
    expect(m.properties.get('TAGS')).toBe('TagA');
    expect(s.selectOneMessageByOffset(0)).toEqual(g.body);
    expect(s.lookMessageByOffset(0)?.msgId).toBe(r.msgId);
    expect(s.lookMessageByOffset(r.wroteBytes)).toBeNull();
  });

  it('stores IPv6 hosts and mints 56-char offset ids for them', async () => {
    const s = await store(tempDir());
    const host = { address: 'fd00::10', port: 10911 };
    const r = await s.putMessage({ ...message('V6', 0, 'x'), storeHost: host, bornHost: { address: '::1', port: 5 } });
    expect(r.msgId).toHaveLength(56);
    expect(decodeOffsetMsgId(r.msgId)).toEqual({ ...host, offset: 0 });
    const m = decodeStoredMessage(s.getMessage('V6', 0, 0, 1).body);
    expect([m.storeHost, m.bornHost, m.msgId]).toEqual([host, { address: '::1', port: 5 }, r.msgId]);
  });

  it('assigns consecutive queue offsets per queue and physical offsets across queues', async () => {
    const s = await store(tempDir());
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => s.putMessage(message('T', i % 3, `m${i}`))),
    );
    let phys = 0;
    results.forEach((r, i) => {
      expect(r.wroteOffset).toBe(phys);
      expect(r.queueOffset).toBe(Math.floor(i / 3));
      phys += r.wroteBytes;
    });
    for (let q = 0; q < 3; q++) {
      expect(s.getMaxOffsetInQueue('T', q)).toBe(10);
      const msgs = decodeStoredMessages(s.getMessage('T', q, 0, 32).body);
      expect(msgs.map((m) => m.body.toString())).toEqual(Array.from({ length: 10 }, (_, k) => `m${k * 3 + q}`));
      expect(msgs.map((m) => m.queueOffset)).toEqual([...Array(10).keys()]);
    }
    expect(s.getCommitLogMaxOffset()).toBe(phys);
  });

  it('stores a batch as separate records with consecutive queue offsets', async () => {
    const s = await store(tempDir());
    await s.putMessage(message('B', 0, 'first'));
    const r = await s.putMessages([message('B', 0, 'x'), message('B', 0, 'y'), message('B', 0, 'z')]);
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
    expect(r.queueOffset).toBe(1);
    expect(r.messageCount).toBe(3);
    expect(r.msgIds.map((id) => decodeOffsetMsgId(id).offset)).toEqual(
      decodeStoredMessages(s.getMessage('B', 0, 1, 32).body).map((m) => m.commitLogOffset),
    );
    expect(s.getMaxOffsetInQueue('B', 0)).toBe(4);
  });

  it('rolls over to the next segment behind a blank record', async () => {
    const root = tempDir();
    const s = await store(root);
    const body = Buffer.alloc(1000, 7);
    const results = [];
    for (let i = 0; i < 150; i++) results.push(s.putMessage(message('Roll', 0, body)));
    const done = await Promise.all(results);
    // The segment after the current one may already exist (pre-allocated) or be under construction.
    const files = fs.readdirSync(join(root, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
    expect(files.slice(0, 3)).toEqual(['00000000000000000000', '00000000000000065536', '00000000000000131072']);
    for (const f of files) expect(fs.statSync(join(root, 'commitlog', f)).size).toBe(65536);

    // The last record of the first segment is followed by a blank covering the rest.
    const inFirst = done.filter((r) => r.wroteOffset < 65536);
    const last = inFirst.at(-1)!;
    const blankAt = last.wroteOffset + last.wroteBytes;
    const seg0 = fs.readFileSync(join(root, 'commitlog', files[0]!));
    expect(seg0.readInt32BE(blankAt + 4)).toBe(BLANK_MAGIC_CODE);
    expect(seg0.readInt32BE(blankAt)).toBe(65536 - blankAt);
    expect(done[inFirst.length]!.wroteOffset).toBe(65536);

    const got: number[] = [];
    for (let off = 0; off < 150; ) {
      const g = s.getMessage('Roll', 0, off, 32);
      expect(g.status).toBe(GetMessageStatus.FOUND);
      for (const m of decodeStoredMessages(g.body)) got.push(m.commitLogOffset);
      off = g.nextBeginOffset;
    }
    expect(got).toEqual(done.map((r) => r.wroteOffset));
  });

  it('splits the ConsumeQueue into files of whole units and reads across them', async () => {
    const root = tempDir();
    const s = await store(root); // 10 units per ConsumeQueue file
    for (let i = 0; i < 35; i++) await s.putMessage(message('CQ', 2, `m${i}`));
    const files = fs.readdirSync(join(root, 'consumequeue', 'CQ', '2')).sort();
    expect(files).toEqual(['00000000000000000000', '00000000000000000200', '00000000000000000400', '00000000000000000600']);
    expect(fs.statSync(join(root, 'consumequeue', 'CQ', '2', files[0]!)).size).toBe(200);
    // A read stops at the end of the file holding its start.
    const g = s.getMessage('CQ', 2, 8, 32);
    expect(g.messageCount).toBe(2);
    expect(g.nextBeginOffset).toBe(10);
    const all: string[] = [];
    for (let off = 0; off < 35; ) {
      const r = s.getMessage('CQ', 2, off, 32);
      all.push(...decodeStoredMessages(r.body).map((m) => m.body.toString()));
      off = r.nextBeginOffset;
    }
    expect(all).toEqual(Array.from({ length: 35 }, (_, i) => `m${i}`));
  });

  it('skips prepared and rollback transaction records in the ConsumeQueue', async () => {
    const s = await store(tempDir());
    const half = { ...message('Tx', 0, 'half'), sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE };
    const h = await s.putMessage(half);
    expect(h.queueOffset).toBe(0);
    const n = await s.putMessage(message('Tx', 0, 'normal'));
    expect(n.queueOffset).toBe(0);
    expect(s.getMaxOffsetInQueue('Tx', 0)).toBe(1);
    expect(decodeStoredMessage(s.getMessage('Tx', 0, 0, 32).body).body.toString()).toBe('normal');
    expect(s.lookMessageByOffset(h.wroteOffset)?.body.toString()).toBe('half');
  });

  it('refuses messages it must not store', async () => {
    const s = await store(tempDir(), { maxMessageSize: 1024 });
    expect((await s.putMessage(message('T', 0, Buffer.alloc(1025)))).status).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
    expect((await s.putMessage(message('T', 0, 'x', { BIG: 'p'.repeat(33000) }))).status).toBe(
      PutMessageStatus.PROPERTIES_SIZE_EXCEEDED,
    );
    expect((await s.putMessage(message('../x', 0, 'x'))).status).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
    expect((await s.putMessage({ ...message('T', 0, 'x'), bornHost: { address: 'nope', port: 1 } })).status).toBe(
      PutMessageStatus.MESSAGE_ILLEGAL,
    );
    expect((await s.putMessages([message('T', 0, 'ok'), message('T', 0, Buffer.alloc(2000))])).status).toBe(
      PutMessageStatus.MESSAGE_ILLEGAL,
    );
    expect(s.getCommitLogMaxOffset()).toBe(0);
    await s.shutdown();
    await s.shutdown();
    expect((await s.putMessage(message('T', 0, 'x'))).status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
  });

  it('tells arrival listeners before the put is answered', async () => {
    const s = await store(tempDir());
    const seen: unknown[][] = [];
    const off = s.onMessageArrived((...args) => seen.push(args));
    const r = await s.putMessage(message('Arr', 4, 'x', { TAGS: 'TagB' }));
    expect(seen).toHaveLength(1);
    const [topic, queueId, logicOffset, tagsCode, storeTimestamp, props] = seen[0]!;
    expect([topic, queueId, logicOffset, tagsCode, storeTimestamp]).toEqual(['Arr', 4, 1, javaStringHash('TagB'), r.storeTimestamp]);
    expect((props as Map<string, string>).get('TAGS')).toBe('TagB');
    off();
    await s.putMessage(message('Arr', 4, 'y'));
    expect(seen).toHaveLength(1);
  });

  it('drops a topic’s queues and restarts its offsets', async () => {
    const root = tempDir();
    const s = await store(root);
    await s.putMessage(message('Gone', 0, 'a'));
    await s.putMessage(message('Gone', 0, 'b'));
    s.deleteTopic('Gone');
    expect(fs.existsSync(join(root, 'consumequeue', 'Gone'))).toBe(false);
    expect(s.getMaxOffsetInQueue('Gone', 0)).toBe(0);
    expect((await s.putMessage(message('Gone', 0, 'c'))).queueOffset).toBe(0);
  });

  it('finds queue offsets by store time', async () => {
    const s = await store(tempDir());
    const times: number[] = [];
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 4; i++) times.push((await s.putMessage(message('Time', 0, `b${batch}`))).storeTimestamp);
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(s.getOffsetInQueueByTime('Time', 0, 0)).toBe(0);
    expect(s.getOffsetInQueueByTime('Time', 0, times[4]!)).toBe(times.indexOf(times[4]!));
    expect(s.getOffsetInQueueByTime('Time', 0, times[7]! + 1)).toBe(8);
    expect(s.getOffsetInQueueByTime('Time', 0, times[11]! + 1)).toBe(12);
    expect(s.getOffsetInQueueByTime('Nope', 0, 0)).toBe(0);
    expect(s.getEarliestMessageTime('Time', 0)).toBe(times[0]);
    expect(s.getEarliestMessageTime('Nope', 0)).toBe(-1);
    expect(s.getMessageStoreTimeStamp('Time', 0, 5)).toBe(times[5]);
    expect(s.getEarliestMessageTimeOfStore()).toBe(times[0]);
  });

  it('counts puts and gets in runtimeStats', async () => {
    const s = await store(tempDir());
    const r = await s.putMessage(message('S', 0, 'x'));
    s.getMessage('S', 0, 0, 1);
    s.getMessage('S', 0, 1, 1);
    const st = s.runtimeStats();
    expect(st.putMessageTimesTotal).toBe(1);
    expect(st.putMessageSizeTotal).toBe(r.wroteBytes);
    expect([st.getMessageTimesTotalFound, st.getMessageTimesTotalMiss, st.getMessageTransferedMsgCount]).toEqual([1, 1, 1]);
    expect(st.commitLogMaxOffset).toBe(r.wroteBytes);
    expect(st.dispatchBehindBytes).toBe(0);
  });
});
