import { describe, expect, it } from 'vitest';
import { UniqueIdGenerator, createOffsetMsgId, createUniqId, decodeOffsetMsgId } from '../../src/message/message-id.ts';

describe('offsetMsgId', () => {
  it('is upper-case hex of ip, port, offset (IPv4: 32 chars)', () => {
    const id = createOffsetMsgId({ address: '192.168.0.10', port: 10911 }, 0x1_2345_6789);
    expect(id).toBe('C0A8000A00002A9F0000000123456789');
    expect(decodeOffsetMsgId(id)).toEqual({ address: '192.168.0.10', port: 10911, offset: 0x1_2345_6789 });
  });

  it('round-trips IPv6 (56 chars) and large offsets', () => {
    const id = createOffsetMsgId({ address: 'fe80::1', port: 10911 }, 2 ** 53 - 1);
    expect(id).toHaveLength(56);
    expect(decodeOffsetMsgId(id)).toEqual({ address: 'fe80::1', port: 10911, offset: 2 ** 53 - 1 });
    // IPv4-mapped IPv6 is treated as IPv4, like Java
    expect(createOffsetMsgId({ address: '::ffff:10.0.0.1', port: 1 }, 0)).toHaveLength(32);
  });

  it('rejects what is not an offset id', () => {
    expect(() => decodeOffsetMsgId('XYZ')).toThrow();
    expect(() => decodeOffsetMsgId('G'.repeat(32))).toThrow();
  });
});

describe('UNIQ_KEY generator', () => {
  it('lays out ip, pid, salt, time since month start and counter', () => {
    const gen = new UniqueIdGenerator(Buffer.from([10, 1, 2, 3]), 0x12345, 0x0badcafe);
    const now = new Date(2025, 4, 2, 0, 0, 1, 500).getTime(); // 1 day + 1.5 s into May
    const a = gen.next(now);
    const b = gen.next(now);
    expect(a).toMatch(/^[0-9A-F]{32}$/);
    expect(a.slice(0, 20)).toBe('0A01020323450BADCAFE');
    expect(parseInt(a.slice(20, 28), 16)).toBe(86_401_500);
    expect((parseInt(b.slice(28), 16) - parseInt(a.slice(28), 16)) & 0xffff).toBe(1);
    expect(a.slice(0, 28)).toBe(b.slice(0, 28));
  });

  it('is unique across many calls', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20000; i++) ids.add(createUniqId());
    expect(ids.size).toBe(20000);
  });
});
