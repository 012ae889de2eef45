import { describe, expect, it } from 'vitest';
import { rocketmqCrc32 } from '../../src/message/crc32.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import {
  BLANK_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V1,
  MESSAGE_MAGIC_CODE_V2,
  RecordStatus,
  STORE_TIMESTAMP_POSITION,
  decodeStoredMessage,
  decodeStoredMessages,
  encodeBlankInto,
  encodeStoredMessage,
  encodeStoredMessageInto,
  measureStoredMessage,
  newRecordSummary,
  patchPhysicalOffset,
  patchQueueOffset,
  patchStoreTimestamp,
  readRecordSummary,
  readStoreTimestamp,
} from '../../src/message/stored-message.ts';
import type { StoredMessageFields } from '../../src/message/stored-message.ts';
import { MessageSysFlag } from '../../src/message/sys-flag.ts';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';

function fields(over: Partial<StoredMessageFields> = {}): StoredMessageFields {
  return {
    topic: 'T',
    queueId: 3,
    flag: 9,
    queueOffset: 42,
    physicalOffset: 0x1_0000_0010,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { address: '10.0.0.2', port: 50123 },
    storeTimestamp: 1_700_000_000_007,
    storeHost: { address: '10.0.0.1', port: 10911 },
    reconsumeTimes: 2,
    preparedTransactionOffset: 77,
    body: Buffer.from('hello'),
    properties: encodeProperties(new Map([['UNIQ_KEY', 'A'.repeat(32)], ['WAIT', 'true']])),
    ...over,
  };
}

describe('stored message codec', () => {
  it('gives the worked example of §12.2 its 149 bytes, field by field', () => {
    const buf = encodeStoredMessage(fields());
    expect(buf.length).toBe(149);
    expect(buf.readInt32BE(0)).toBe(149);
    expect(buf.readInt32BE(4)).toBe(MESSAGE_MAGIC_CODE_V1);
    expect(buf.readUInt32BE(4)).toBe(0xdaa320a7);
    expect(buf.readInt32BE(8)).toBe(rocketmqCrc32(Buffer.from('hello')));
    expect(buf.readInt32BE(12)).toBe(3);
    expect(buf.readInt32BE(16)).toBe(9);
    expect(buf.readBigInt64BE(20)).toBe(42n);
    expect(buf.readBigInt64BE(28)).toBe(0x1_0000_0010n);
    expect(buf.readInt32BE(36)).toBe(0);
    expect(buf.readBigInt64BE(40)).toBe(1_700_000_000_000n);
    expect([...buf.subarray(48, 52)]).toEqual([10, 0, 0, 2]);
    expect(buf.readInt32BE(52)).toBe(50123);
    expect(buf.readBigInt64BE(56)).toBe(1_700_000_000_007n);
    expect([...buf.subarray(64, 68)]).toEqual([10, 0, 0, 1]);
    expect(buf.readInt32BE(68)).toBe(10911);
    expect(buf.readInt32BE(72)).toBe(2);
    expect(buf.readBigInt64BE(76)).toBe(77n);
    expect(buf.readInt32BE(84)).toBe(5);
    expect(buf.toString('utf8', 88, 93)).toBe('hello');
    expect(buf[93]).toBe(1);
    expect(buf.toString('utf8', 94, 95)).toBe('T');
    expect(buf.readInt16BE(95)).toBe(52);
  });

  it('decodes what it encodes', () => {
    const f = fields();
    const m = decodeStoredMessage(encodeStoredMessage(f));
    expect(m).toMatchObject({
      topic: 'T',
      queueId: 3,
      flag: 9,
      queueOffset: 42,
      commitLogOffset: 0x1_0000_0010,
      sysFlag: 0,
      bornTimestamp: f.bornTimestamp,
      bornHost: f.bornHost,
      storeTimestamp: f.storeTimestamp,
      storeHost: f.storeHost,
      reconsumeTimes: 2,
      preparedTransactionOffset: 77,
      storeSize: 149,
      bodyCRC: rocketmqCrc32(Buffer.from('hello')),
    });
    expect(m.body.toString()).toBe('hello');
    expect(m.properties.get('WAIT')).toBe('true');
    expect(decodeOffsetMsgId(m.msgId)).toEqual({ address: '10.0.0.1', port: 10911, offset: 0x1_0000_0010 });
  });

  it('carries IPv6 hosts (20 bytes each) and sets the V6 flags itself', () => {
    const f = fields({ bornHost: { address: '2001:db8::7', port: 1 }, storeHost: { address: '::1', port: 2 } });
    const buf = encodeStoredMessage(f);
    expect(buf.length).toBe(149 + 24);
    const sys = buf.readInt32BE(36);
    expect(sys & MessageSysFlag.BORNHOST_V6_FLAG).toBeTruthy();
    expect(sys & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG).toBeTruthy();
    expect(readStoreTimestamp(buf, 0)).toBe(f.storeTimestamp);
    const m = decodeStoredMessage(buf);
    expect(m.bornHost).toEqual({ address: '2001:db8::7', port: 1 });
    expect(m.storeHost).toEqual({ address: '::1', port: 2 });
    expect(m.msgId).toHaveLength(56);
    // flags asked for but hosts IPv4: the flags are cleared
    const v4 = encodeStoredMessage(fields({ sysFlag: MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.MULTI_TAGS_FLAG }));
    expect(v4.readInt32BE(36)).toBe(MessageSysFlag.MULTI_TAGS_FLAG);
  });

  it('uses magic v2 and a 2-byte topic length only for topics over 127 bytes', () => {
    const at127 = encodeStoredMessage(fields({ topic: 'x'.repeat(127) }));
    expect(at127.readInt32BE(4)).toBe(MESSAGE_MAGIC_CODE_V1);
    const long = 'y'.repeat(200);
    const buf = encodeStoredMessage(fields({ topic: long }));
    expect(buf.readInt32BE(4)).toBe(MESSAGE_MAGIC_CODE_V2);
    expect(buf.length).toBe(149 - 1 + 200 + 1);
    expect(decodeStoredMessage(buf).topic).toBe(long);
  });

  it('encodes into a caller buffer at an offset and patches fields in place', () => {
    const f = fields({ properties: '' });
    const m = measureStoredMessage(f);
    const target = Buffer.alloc(m.totalSize + 100);
    expect(encodeStoredMessageInto(target, 33, f, m)).toBe(m.totalSize);
    patchQueueOffset(target, 33, 1234);
    patchPhysicalOffset(target, 33, 2 ** 40);
    patchStoreTimestamp(target, 33, 99);
    expect(target.readBigInt64BE(33 + STORE_TIMESTAMP_POSITION)).toBe(99n);
    const d = decodeStoredMessage(target, 33);
    expect([d.queueOffset, d.commitLogOffset, d.storeTimestamp]).toEqual([1234, 2 ** 40, 99]);
    expect(d.properties.size).toBe(0);
  });

  it('decodes a concatenation (a pull body) and stops at a cut record', () => {
    const a = encodeStoredMessage(fields({ queueOffset: 1 }));
    const b = encodeStoredMessage(fields({ queueOffset: 2, body: Buffer.alloc(1000, 1) }));
    const all = Buffer.concat([a, b]);
    expect(decodeStoredMessages(all).map((m) => m.queueOffset)).toEqual([1, 2]);
    expect(decodeStoredMessages(all.subarray(0, all.length - 1)).map((m) => m.queueOffset)).toEqual([1]);
  });

  it('classifies records: message, blank, truncated, invalid, bad CRC', () => {
    const rec = encodeStoredMessage(fields());
    const s = newRecordSummary();
    expect(readRecordSummary(rec, 0, s, rec.length, true).status).toBe(RecordStatus.MESSAGE);
    expect(readRecordSummary(rec, 0, s, rec.length - 1).status).toBe(RecordStatus.TRUNCATED);
    const blank = Buffer.alloc(8);
    encodeBlankInto(blank, 0, 4000);
    expect(blank.readInt32BE(4)).toBe(BLANK_MAGIC_CODE);
    expect(readRecordSummary(blank, 0, s, 8).status).toBe(RecordStatus.BLANK);
    expect(s.totalSize).toBe(4000);
    expect(readRecordSummary(Buffer.alloc(200), 0, s, 200).status).toBe(RecordStatus.INVALID);
    const corrupt = Buffer.from(rec);
    corrupt[90] ^= 0xff; // inside the body
    expect(readRecordSummary(corrupt, 0, s, corrupt.length, false).status).toBe(RecordStatus.MESSAGE);
    expect(readRecordSummary(corrupt, 0, s, corrupt.length, true).status).toBe(RecordStatus.INVALID);
    const badLen = Buffer.from(rec);
    badLen.writeInt16BE(51, 95); // PROPLEN no longer adds up to TOTALSIZE
    expect(readRecordSummary(badLen, 0, s, badLen.length).status).toBe(RecordStatus.INVALID);
  });
});
