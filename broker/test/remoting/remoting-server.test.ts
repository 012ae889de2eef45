import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import {
  createRequest, createResponse, encodeFrame, RemotingClient, RemotingServer, RequestTimeoutError, ResponseCode, SerializeType,
} from '../../src/remoting/index.ts';

const log = createLogger('test');
let server: RemotingServer;
let onewayCount = 0;

beforeAll(async () => {
  server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: log, frameTimeoutMs: 300, drainTimeoutMs: 500 });
  server.registerProcessor(1000, (req) => createResponse(req, ResponseCode.SUCCESS, undefined, { echo: req.extFields?.x }, req.body));
  server.registerProcessor(1001, async (req) => {
    await new Promise((r) => setTimeout(r, Number(req.extFields?.ms ?? 0)));
    return createResponse(req, ResponseCode.SUCCESS);
  });
  server.registerProcessor(1002, () => {
    onewayCount++;
    throw new Error('oneway handlers never answer, even on error');
  });
  await server.listen();
});
afterAll(() => server.shutdown(1000));

const addr = () => `127.0.0.1:${server.port}`;

function rawConnection(): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
  });
}
const closedWithin = (s: net.Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.on('close', () => { clearTimeout(t); resolve(true); });
  });

describe('remoting server and client', () => {
  it('answers in the request serialize type and matches responses by opaque', async () => {
    const client = new RemotingClient({ logger: log });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      client.invoke(addr(), createRequest(1000, { x: i }, Buffer.from(`b${i}`), i % 2 ? SerializeType.ROCKETMQ : SerializeType.JSON))));
    results.forEach((r, i) => {
      expect(r.extFields?.echo).toBe(String(i));
      expect(r.body?.toString()).toBe(`b${i}`);
      expect(r.serializeType).toBe(i % 2 ? SerializeType.ROCKETMQ : SerializeType.JSON);
    });
    await client.close();
  });

  it('answers an unknown code with REQUEST_CODE_NOT_SUPPORTED', async () => {
    const client = new RemotingClient({ logger: log });
    const r = await client.invoke(addr(), createRequest(4242));
    expect(r.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(r.remark).toContain('4242');
    await client.close();
  });

  it('sends nothing back for oneway requests, even when the handler throws', async () => {
    const client = new RemotingClient({ logger: log });
    await client.invokeOneway(addr(), createRequest(1002));
    const r = await client.invoke(addr(), createRequest(1000, { x: 'after' }));
    expect(r.extFields?.echo).toBe('after');
    expect(onewayCount).toBe(1);
    await client.close();
  });

  it('times out a request whose answer is late', async () => {
    const client = new RemotingClient({ logger: log });
    await expect(client.invoke(addr(), createRequest(1001, { ms: 500 }), 100)).rejects.toBeInstanceOf(RequestTimeoutError);
    await client.close();
  });

  it('closes a connection that declares a 100 MB frame, and keeps serving others', async () => {
    const bystander = new RemotingClient({ logger: log });
    await bystander.invoke(addr(), createRequest(1000, { x: 1 }));
    const s = await rawConnection();
    const hdr = Buffer.alloc(8);
    hdr.writeInt32BE(100 * 1024 * 1024, 0);
    s.write(hdr);
    expect(await closedWithin(s, 2000)).toBe(true);
    expect((await bystander.invoke(addr(), createRequest(1000, { x: 2 }))).extFields?.echo).toBe('2');
    await bystander.close();
  });

  it('closes on garbage headers and on a negative length', async () => {
    for (const bytes of [
      Buffer.concat([Buffer.from([0, 0, 0, 12, 0, 0, 0, 8]), Buffer.from('{garbage')]),
      Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]),
      Buffer.from([0, 0, 0, 2, 0, 0]),
    ]) {
      const s = await rawConnection();
      s.write(bytes);
      expect(await closedWithin(s, 2000)).toBe(true);
    }
  });

  it('closes a client that stalls mid-frame', async () => {
    const s = await rawConnection();
    const frame = encodeFrame({ ...createRequest(1000, { x: 1 }), opaque: 1 });
    s.write(frame.subarray(0, frame.length - 3));
    expect(await closedWithin(s, 2000)).toBe(true);
  });

  it('closes a client that never reads its responses', async () => {
    const s = await rawConnection();
    s.pause();
    const big = encodeFrame({ ...createRequest(1000, { x: 1 }, Buffer.alloc(1024 * 1024)), opaque: 1 });
    // Echoes of 1 MiB bodies pile up in the server's socket buffer; it must give up on this peer.
    for (let i = 0; i < 64; i++) s.write(big);
    expect(await closedWithin(s, 5000)).toBe(true);
  });
});
