import { describe, expect, it } from 'vitest';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import { rocketmqCrc32 } from '../../src/message/crc32.ts';
import { readInt64BE, writeInt64BE } from '../../src/message/int64.ts';

describe('javaStringHash', () => {
  it('matches Java String.hashCode', () => {
    // Values computed with Java's "...".hashCode().
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('TagA')).toBe(2598919);
    expect(javaStringHash('hello world')).toBe(1794106052);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
  });

  it('hashes UTF-16 code units, surrogates included', () => {
    // U+1F600 is the surrogate pair D83D DE00: 31*0xD83D + 0xDE00.
    expect(javaStringHash('\u{1F600}')).toBe(31 * 0xd83d + 0xde00);
    expect(javaStringHash('é')).toBe(233);
  });
});

describe('rocketmqCrc32', () => {
  it('is zlib crc32 with the sign bit cleared', () => {
    // crc32("123456789") = 0xCBF43926, sign bit cleared = 0x4BF43926.
    expect(rocketmqCrc32(Buffer.from('123456789'))).toBe(0x4bf43926);
    const b = Buffer.from('xx123456789yy');
    expect(rocketmqCrc32(b, 2, 11)).toBe(0x4bf43926);
  });
});

describe('int64', () => {
  it('round-trips numbers up to 2^53 and negatives', () => {
    const buf = Buffer.alloc(8);
    for (const v of [0, 1, -1, 2 ** 32, 2 ** 32 - 1, 2 ** 53 - 1, -(2 ** 40) + 7, 1_700_000_000_123, -2147483648]) {
      writeInt64BE(buf, v, 0);
      expect(buf.readBigInt64BE(0)).toBe(BigInt(v));
      expect(readInt64BE(buf, 0)).toBe(v);
    }
  });
});
