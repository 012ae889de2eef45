import { describe, expect, it } from 'vitest';
import {
  createRequest, createResponse, decodeFrame, encodeFrame, FrameDecoder, FrameError, RequestCode, SerializeType,
} from '../../src/remoting/index.ts';

describe('frame codec', () => {
  it('encodes the worked example of protocol notes §12.1 byte for byte (binary header)', () => {
    const cmd = { ...createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'T' }, undefined, SerializeType.ROCKETMQ), opaque: 1 };
    const hex = encodeFrame(cmd).toString('hex');
    expect(hex).toBe('00000025' + '01000021' + '0069' + '00' + '01df' + '00000001' + '00000000' + '00000000' + '0000000c'
      + '0005' + Buffer.from('topic').toString('hex') + '00000001' + '54');
  });

  it('encodes the JSON form of the same request as the Java client does', () => {
    const cmd = { ...createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'T' }), opaque: 1 };
    const frame = encodeFrame(cmd);
    expect(frame.readInt32BE(0)).toBe(0x7f);
    expect(frame.readInt32BE(4)).toBe(0x7b);
    expect(frame.subarray(8).toString()).toBe(
      '{"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":479}');
  });

  for (const type of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
    it(`round-trips requests and responses with ${type === 0 ? 'JSON' : 'ROCKETMQ'} headers`, () => {
      const req = { ...createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'T', e: 3, g: 1700000000000, k: false, i: 'K\u0001v\u0002' }, Buffer.from('hello'), type), opaque: 42 };
      const back = decodeFrame(encodeFrame(req));
      expect(back).toMatchObject({ code: 310, opaque: 42, flag: 0, language: 'JAVA', version: 479, serializeType: type });
      expect(back.extFields).toEqual({ a: 'g', b: 'T', e: '3', g: '1700000000000', k: 'false', i: 'K\u0001v\u0002' });
      expect(back.body?.toString()).toBe('hello');
      const resp = createResponse(back, 17, 'no route, ü', { msgId: 'X' });
      const r = decodeFrame(encodeFrame(resp));
      expect(r).toMatchObject({ code: 17, opaque: 42, flag: 1, remark: 'no route, ü', serializeType: type });
      expect(r.body).toBeUndefined();
    });
  }

  it('decodes a Go-style JSON header (empty remark, numeric-looking values)', () => {
    const header = Buffer.from('{"code":105,"language":"GO","version":317,"opaque":7,"flag":0,"remark":"","extFields":{"topic":"T"}}');
    const frame = Buffer.alloc(8 + header.length);
    frame.writeInt32BE(4 + header.length, 0);
    frame.writeInt32BE(header.length, 4);
    header.copy(frame, 8);
    expect(decodeFrame(frame)).toMatchObject({ code: 105, language: 'GO', version: 317, opaque: 7, extFields: { topic: 'T' } });
  });

  it('splits a stream into frames whatever the chunking', () => {
    const frames = [1, 2, 3].map((i) => encodeFrame({ ...createRequest(34, { i }, Buffer.alloc(i * 1000, i)), opaque: i }));
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 7, 1000, stream.length]) {
      const decoder = new FrameDecoder();
      const out: Buffer[] = [];
      for (let p = 0; p < stream.length; p += step) out.push(...decoder.push(stream.subarray(p, p + step)));
      expect(out.map((f) => decodeFrame(f).opaque)).toEqual([1, 2, 3]);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('refuses hostile lengths before buffering them', () => {
    const d = new FrameDecoder();
    const big = Buffer.alloc(8);
    big.writeInt32BE(100 * 1024 * 1024, 0);
    expect(() => d.push(big)).toThrow(FrameError);
    const negative = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    expect(() => new FrameDecoder().push(negative)).toThrow(/outside/);
  });

  it('refuses garbage headers with a reason', () => {
    const bad = (type: number, header: Buffer) => {
      const f = Buffer.alloc(8 + header.length);
      f.writeInt32BE(4 + header.length, 0);
      f.writeInt32BE((type << 24) | header.length, 4);
      header.copy(f, 8);
      return f;
    };
    expect(() => decodeFrame(bad(0, Buffer.from('{not json')))).toThrow(/not valid JSON/);
    expect(() => decodeFrame(bad(0, Buffer.from('[1,2]')))).toThrow(/not an object/);
    expect(() => decodeFrame(bad(1, Buffer.alloc(10)))).toThrow(/shorter/);
    const overrun = Buffer.alloc(25);
    overrun.writeInt32BE(1000, 13);
    expect(() => decodeFrame(bad(1, overrun))).toThrow(/remark length/);
    expect(() => decodeFrame(bad(7, Buffer.from('{}')))).toThrow(/serialize type/);
    const f = bad(0, Buffer.from('{}'));
    f.writeInt32BE((0 << 24) | 500, 4);
    expect(() => decodeFrame(f)).toThrow(/header length/);
  });
});
