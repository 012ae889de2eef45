import { describe, expect, it } from 'vitest';
import { RaftNode, type Ready } from '../../src/raft/raft-core.ts';
import { MemoryEntryStore } from '../../src/raft/memory-entry-store.ts';
import { SeededRandom } from '../../src/harness/seeded-random.ts';

/** Term and vote survive a restart through the Ready's hard state: one vote per term, even across a crash. */
describe('raft persistent term and vote', () => {
  it('a node restarted from its hard state refuses a second candidate of the same term', () => {
    const random = new SeededRandom(9);
    const config = { id: 1, peers: [1, 2, 3], electionTicks: 10, heartbeatTicks: 2, random: () => random.next() };
    const before = new RaftNode({ ...config, store: new MemoryEntryStore() });
    before.step({ type: 'vote', from: 2, to: 1, term: 5, lastIndex: 0, lastTerm: 0, transfer: false });
    const rd: Ready = before.ready();
    expect(rd.hardState).toEqual({ term: 5, vote: 2, commit: 0 });
    expect(rd.messagesAfterPersist).toEqual([{ type: 'voteResp', from: 1, to: 2, term: 5, reject: false }]);
    expect(rd.messages).toEqual([]);
    before.advance(rd);

    const after = new RaftNode({ ...config, hardState: rd.hardState!, store: new MemoryEntryStore() });
    expect([after.term, after.vote]).toEqual([5, 2]);
    after.step({ type: 'vote', from: 3, to: 1, term: 5, lastIndex: 0, lastTerm: 0, transfer: false });
    expect(after.ready().messagesAfterPersist).toEqual([{ type: 'voteResp', from: 1, to: 3, term: 5, reject: true }]);
  });

  it('refuses a stored state whose commit is beyond its stored log', () => {
    const random = new SeededRandom(9);
    expect(() => new RaftNode({
      id: 1, peers: [1, 2, 3], electionTicks: 10, heartbeatTicks: 2, random: () => random.next(),
      hardState: { term: 2, vote: 0, commit: 3 }, store: new MemoryEntryStore([{ term: 1, index: 1, data: null }]),
    })).toThrow(/commit 3 is beyond the stored log/);
  });

  it('hands a long committed log back in Readies bounded by maxApplyBytesPerReady, read from the store', () => {
    const random = new SeededRandom(9);
    const stored = Array.from({ length: 100 }, (_, i) => ({ term: 1, index: i + 1, data: Buffer.alloc(100, i) }));
    const node = new RaftNode({
      id: 1, peers: [1, 2, 3], electionTicks: 10, heartbeatTicks: 2, random: () => random.next(),
      hardState: { term: 1, vote: 0, commit: 100 }, store: new MemoryEntryStore(stored), maxApplyBytesPerReady: 1000, applied: 20,
    });
    const batches: number[][] = [];
    while (node.hasReady()) {
      const rd = node.ready();
      if (rd.committedEntries.length > 0) batches.push(rd.committedEntries.map((e) => e.index));
      node.advance(rd);
    }
    expect(batches).toHaveLength(8);
    expect(batches.every((b) => b.length === 10)).toBe(true);
    expect(batches.flat()).toEqual(Array.from({ length: 80 }, (_, i) => i + 21));
  });
});
