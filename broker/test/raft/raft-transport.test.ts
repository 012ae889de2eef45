import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/harness/free-port.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Message } from '../../src/raft/raft-messages.ts';
import { parseRaftPeers, type RaftPeer } from '../../src/raft/raft-peers.ts';
import { RaftTransport } from '../../src/raft/raft-transport.ts';
import { encodeRaftMessage } from '../../src/raft/raft-wire.ts';

const logger = createLogger('test', { level: 'silent' });
const open: RaftTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function peers(n: number): Promise<RaftPeer[]> {
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  return parseRaftPeers(ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';'));
}

function node(selfId: number, ps: RaftPeer[]): { t: RaftTransport; got: Message[] } {
  const got: Message[] = [];
  const t = new RaftTransport({ selfId, peers: ps, logger, onMessage: (m) => got.push(m), reconnectMinMs: 20, reconnectMaxMs: 100 });
  open.push(t);
  return { t, got };
}

const hb = (from: number, to: number, commit: number): Message => ({ type: 'heartbeat', from, to, term: 1, commit });

describe('raft transport on 127.0.0.1', () => {
  it('delivers in order, drops while a peer is down, and reconnects when it comes up', async () => {
    const ps = await peers(3);
    const a = node(1, ps);
    const b = node(2, ps);
    await a.t.start();
    // b is not listening yet: sends cost nothing but drops.
    for (let i = 0; i < 5; i++) a.t.send(hb(1, 2, i));
    expect(a.t.dropped().get(2)).toBe(5);
    await b.t.start();
    await waitFor('a to reach b', () => {
      a.t.send(hb(1, 2, 100));
      return b.got.length > 0;
    }, 5000, 30);
    for (let i = 0; i < 1000; i++) a.t.send(hb(1, 2, 1000 + i));
    // Probes of the wait above may still trail in; the 1000 must arrive whole and in order.
    const burst = (): number[] => b.got.flatMap((m) => (m.type === 'heartbeat' && m.commit >= 1000 ? [m.commit] : []));
    await waitFor('1000 heartbeats', () => burst().length >= 1000, 5000, 20);
    expect(burst()).toEqual(Array.from({ length: 1000 }, (_, i) => 1000 + i));
    // Node 3 never starts: the others just drop what they send it.
    a.t.send(hb(1, 3, 1));
    expect(a.t.dropped().get(3)).toBeGreaterThan(0);
    // b restarts on the same port: a reconnects.
    await b.t.close();
    const b2 = node(2, ps);
    await b2.t.start();
    await waitFor('a to reach the restarted b', () => {
      a.t.send(hb(1, 2, 7));
      return b2.got.length > 0;
    }, 5000, 30);
  });

  it('reconnects to a peer that accepts but never answers (its address vanished without a reset), not to one that answers', async () => {
    const ps = await peers(3);
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(ps[1]!.port, '127.0.0.1', resolve));
    try {
      const a = new RaftTransport({ selfId: 1, peers: ps, logger, onMessage: () => {}, reconnectMinMs: 20, reconnectMaxMs: 50, deadAfterMs: 300 });
      let atC = 0;
      const c = new RaftTransport({ selfId: 3, peers: ps, logger, onMessage: () => { atC++; }, deadAfterMs: 300 });
      open.push(a, c);
      await a.start();
      await c.start();
      await waitFor('a to reach c', () => {
        a.send(hb(1, 3, 0));
        return atC > 0 && sockets.length > 0;
      }, 5000, 20);
      const droppedToC = a.dropped().get(3)!;
      // Steady traffic for 1.5 s, five times deadAfterMs: c answers, so its connection is kept (nothing dropped);
      // the silent peer's connection is given up and dialed again.
      for (let i = 0; i < 75; i++) {
        a.send(hb(1, 2, i));
        a.send(hb(1, 3, i));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(sockets.length).toBeGreaterThanOrEqual(2);
      expect(a.dropped().get(3)).toBe(droppedToC);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a malformed frame closes only that connection', async () => {
    const ps = await peers(2);
    const a = node(1, ps);
    const b = node(2, ps);
    await a.t.start();
    await b.t.start();
    await waitFor('a to reach b', () => {
      a.t.send(hb(1, 2, 1));
      return b.got.length > 0;
    }, 5000, 30);
    const bad = net.connect(ps[1]!.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => bad.on('close', () => resolve()));
    bad.on('error', () => {});
    bad.resume(); // the pong it gets back must be read for 'close' to come
    const frame = encodeRaftMessage(hb(1, 2, 5));
    frame[4] = 99; // unknown version
    bad.write(frame);
    await closed;
    // A frame claiming to be from someone outside the group is refused the same way.
    const spoof = net.connect(ps[1]!.port, '127.0.0.1');
    const spoofClosed = new Promise<void>((resolve) => spoof.on('close', () => resolve()));
    spoof.on('error', () => {});
    spoof.resume();
    spoof.write(encodeRaftMessage(hb(9, 2, 5)));
    await spoofClosed;
    const mark = b.got.length;
    a.t.send(hb(1, 2, 42));
    await waitFor('the good connection to keep working', () => b.got.length > mark, 5000, 20);
    expect(b.got.at(-1)).toEqual(hb(1, 2, 42));
    expect(b.got.some((m) => m.from === 9)).toBe(false);
  });
});
