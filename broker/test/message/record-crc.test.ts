import { describe, expect, it } from 'vitest';
import { rocketmqCrc32 } from '../../src/message/crc32.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import {
  CRC32_RESERVED_LENGTH,
  PROPERTY_CRC32,
  RecordStatus,
  decodeStoredMessage,
  encodeStoredMessageInto,
  measureStoredMessage,
  newRecordSummary,
  readRecordSummary,
} from '../../src/message/stored-message.ts';
import type { StoredMessageFields } from '../../src/message/stored-message.ts';

function fields(properties: string): StoredMessageFields {
  return {
    topic: 'CrcTopic', queueId: 1, flag: 0, queueOffset: 7, physicalOffset: 4096, sysFlag: 0, bornTimestamp: 1_700_000_000_000,
    bornHost: { address: '10.0.0.2', port: 5 }, storeTimestamp: 1_700_000_000_001, storeHost: { address: '10.0.0.1', port: 10911 },
    reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.from('payload'), properties,
  };
}

function encode(properties: string): Buffer {
  const f = fields(properties);
  const m = measureStoredMessage(f, undefined, true);
  const buf = Buffer.alloc(m.totalSize);
  expect(encodeStoredMessageInto(buf, 0, f, m)).toBe(m.totalSize);
  return buf;
}

const check = (rec: Buffer, require = true) => readRecordSummary(rec, 0, newRecordSummary(), rec.length, true, require).status;

describe('the whole-record CRC property (RocketMQ 5.x enabledAppendPropCRC)', () => {
  it('ends the properties with __CRC32#, ten digits least significant first, over the record before it', () => {
    const rec = encode(encodeProperties({ KEYS: 'k', UNIQ_KEY: 'U' }));
    const tail = rec.subarray(rec.length - CRC32_RESERVED_LENGTH).toString('latin1');
    expect(CRC32_RESERVED_LENGTH).toBe(20);
    expect(tail).toMatch(/^__CRC32#\u0001\d{10}\u0002$/);
    const digits = tail.slice(PROPERTY_CRC32.length + 1, -1);
    expect(Number([...digits].reverse().join(''))).toBe(rocketmqCrc32(rec, 0, rec.length - CRC32_RESERVED_LENGTH));
    const m = decodeStoredMessage(rec);
    expect(m.properties.get('KEYS')).toBe('k');
    expect(m.properties.get(PROPERTY_CRC32)).toBe(digits);
    expect(check(rec)).toBe(RecordStatus.MESSAGE);
  });

  it('adds the separator a properties string lacks, and works with no properties at all', () => {
    const lacking = encode('KEYS\u0001k');
    expect(decodeStoredMessage(lacking).properties.get('KEYS')).toBe('k');
    expect(check(lacking)).toBe(RecordStatus.MESSAGE);
    const none = encode('');
    expect(check(none)).toBe(RecordStatus.MESSAGE);
    expect(decodeStoredMessage(none).properties.has(PROPERTY_CRC32)).toBe(true);
  });

  it('catches a flipped byte anywhere: header, topic, properties, or the digits', () => {
    const rec = encode(encodeProperties({ KEYS: 'k', UNIQ_KEY: 'U' }));
    const bodyAt = rec.indexOf('payload');
    // Positions BODYCRC cannot see: QUEUEID, QUEUEOFFSET, STORETIMESTAMP, topic, properties, the CRC digits.
    for (const at of [13, 25, 60, bodyAt + 8, rec.indexOf('KEYS') + 1, rec.length - 5]) {
      const bad = Buffer.from(rec);
      bad[at] = bad[at]! ^ 0x10;
      expect(check(bad), `byte ${at}`).not.toBe(RecordStatus.MESSAGE);
    }
  });

  it('is optional to read: a record without it passes unless it is required', () => {
    const f = fields(encodeProperties({ KEYS: 'k' }));
    const m = measureStoredMessage(f);
    const rec = Buffer.alloc(m.totalSize);
    encodeStoredMessageInto(rec, 0, f, m);
    expect(check(rec, false)).toBe(RecordStatus.MESSAGE);
    expect(check(rec, true)).toBe(RecordStatus.INVALID);
  });
});
