import { describe, expect, it } from 'vitest';
import { decodeBatchBody, encodeBatchBody } from '../../src/message/batch-body.ts';

describe('batch body', () => {
  it('round-trips items and sizes each as 22 + body + properties', () => {
    const items = [
      { flag: 0, body: Buffer.from('hello'), properties: 'UNIQ_KEY\u0001A\u0002WAIT\u0001true\u0002' },
      { flag: 7, body: Buffer.alloc(0), properties: '' },
      { flag: -1, body: Buffer.from('ünï'), properties: 'TAGS\u0001标签\u0002' },
    ];
    const buf = encodeBatchBody(items);
    expect(buf.readInt32BE(0)).toBe(22 + 5 + Buffer.byteLength(items[0]!.properties));
    expect(buf.readInt32BE(4)).toBe(0);
    const back = decodeBatchBody(buf);
    expect(back.map((i) => ({ ...i, body: Buffer.from(i.body) }))).toEqual(items);
  });

  it('rejects malformed bodies', () => {
    const buf = encodeBatchBody([{ flag: 0, body: Buffer.from('x'), properties: 'A\u0001b\u0002' }]);
    expect(() => decodeBatchBody(buf.subarray(0, buf.length - 1))).toThrow();
    const bad = Buffer.from(buf);
    bad.writeInt32BE(1000, 16);
    expect(() => decodeBatchBody(bad)).toThrow();
  });
});
