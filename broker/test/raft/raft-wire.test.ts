import { describe, expect, it } from 'vitest';
import { decodeRaftFrame, encodeRaftMessage, RaftFrameDecoder, RaftWireError } from '../../src/raft/raft-wire.ts';
import { parseRaftPeers, raftSelfId } from '../../src/raft/raft-peers.ts';
import type { Message } from '../../src/raft/raft-messages.ts';
import { SeededRandom } from '../../src/harness/seeded-random.ts';

const env = { from: 2, to: 3, term: 2 ** 40 + 7 };
const samples: Message[] = [
  { type: 'preVote', ...env, lastIndex: 99, lastTerm: 4, transfer: false },
  { type: 'vote', ...env, lastIndex: 2 ** 50, lastTerm: 5, transfer: true },
  { type: 'preVoteResp', ...env, reject: true },
  { type: 'voteResp', ...env, reject: false },
  { type: 'append', ...env, prevIndex: 10, prevTerm: 3, commit: 9, entries: [] },
  {
    type: 'append', ...env, prevIndex: 10, prevTerm: 3, commit: 11, entries: [
      { term: 4, index: 11, data: null },
      { term: 4, index: 12, data: new Uint8Array(0) },
      { term: 5, index: 13, data: Buffer.from('hello raft') },
      { term: 5, index: 14, data: new SeededRandom(1).fill(Buffer.alloc(7_000)) },
    ],
  },
  { type: 'appendResp', ...env, reject: true, index: 12, hintIndex: 8, hintTerm: 2 },
  { type: 'heartbeat', ...env, commit: 1234 },
  { type: 'heartbeatResp', ...env },
  { type: 'timeoutNow', ...env },
];

/** Compares with data as plain bytes (the decoder hands out Buffers over the frame). */
const plain = (m: Message): unknown => (m.type === 'append'
  ? { ...m, entries: m.entries.map((e) => ({ ...e, data: e.data === null ? null : [...e.data] })) }
  : m);

describe('raft wire codec', () => {
  it('round-trips every message type, one frame at a time and as one stream cut anywhere', () => {
    for (const m of samples) expect(plain(decodeRaftFrame(encodeRaftMessage(m).subarray(4)))).toEqual(plain(m));
    const stream = Buffer.concat(samples.map(encodeRaftMessage));
    const rng = new SeededRandom(5);
    for (let round = 0; round < 20; round++) {
      const d = new RaftFrameDecoder(1 << 20);
      const got: Message[] = [];
      for (let at = 0; at < stream.length;) {
        const n = rng.int(1, round % 2 === 0 ? 7 : 20_000);
        got.push(...d.push(stream.subarray(at, at + n)));
        at += n;
      }
      expect(got.map(plain)).toEqual(samples.map(plain));
      expect(d.pending()).toBe(0);
    }
  });

  it('rejects random, truncated and bit-flipped frames with RaftWireError, never anything else', () => {
    const rng = new SeededRandom(17);
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const base = encodeRaftMessage(rng.pick(samples));
      let frame: Buffer;
      switch (i % 3) {
        case 0: frame = rng.fill(Buffer.alloc(rng.int(0, 200))); break;
        case 1: frame = base.subarray(4, 4 + rng.int(0, base.length - 5)); break;
        default: {
          frame = Buffer.from(base.subarray(4));
          const at = rng.int(0, Math.min(frame.length, 80) - 1);
          frame[at]! ^= 1 << rng.int(0, 7);
        }
      }
      try {
        decodeRaftFrame(frame);
      } catch (e) {
        expect(e).toBeInstanceOf(RaftWireError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(3000);
    const d = new RaftFrameDecoder(1000);
    expect(() => d.push(Buffer.from([0, 0, 0x10, 0]))).toThrow(/frame length 4096/);
    expect(() => new RaftFrameDecoder(1000).push(Buffer.from([0, 0, 0, 1, 1]))).toThrow(/frame length 1 /);
  });
});

describe('raft peers (dLegerPeers syntax)', () => {
  it('maps n<k> to core id k + 1', () => {
    const peers = parseRaftPeers('n0-10.0.0.1:40911;n1-broker-b.ns.svc:40911; n2-[::1]:40912;');
    expect(peers).toEqual([
      { id: 1, name: 'n0', host: '10.0.0.1', port: 40911 },
      { id: 2, name: 'n1', host: 'broker-b.ns.svc', port: 40911 },
      { id: 3, name: 'n2', host: '::1', port: 40912 },
    ]);
    expect(raftSelfId('n1', peers)).toBe(2);
    expect(() => raftSelfId('n7', peers)).toThrow(/dLegerSelfId "n7" is not among the ids of dLegerPeers \(n0, n1, n2\)/);
  });

  it('refuses what it cannot use, saying which part', () => {
    expect(() => parseRaftPeers('')).toThrow(/empty/);
    expect(() => parseRaftPeers('n0-a:1;x1-b:2')).toThrow(/dLegerPeers has "x1-b:2", expected n<k>-host:port/);
    expect(() => parseRaftPeers('n0-a')).toThrow(/expected n<k>-host:port/);
    expect(() => parseRaftPeers('n0-a:70000')).toThrow(/port 70000/);
    expect(() => parseRaftPeers('n0-a:1;n0-b:2')).toThrow(/repeats the id n0/);
    expect(() => parseRaftPeers('n0-a:1;n1-a:1')).toThrow(/repeats the address of n0/);
  });
});
