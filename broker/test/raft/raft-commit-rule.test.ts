import { describe, expect, it } from 'vitest';
import { RaftNode } from '../../src/raft/raft-core.ts';
import type { Entry, Message } from '../../src/raft/raft-messages.ts';
import { MemoryEntryStore } from '../../src/raft/memory-entry-store.ts';
import { SeededRandom } from '../../src/harness/seeded-random.ts';

/**
 * Raft section 5.4.2 (the paper's figure 8): a leader must not commit an entry of an earlier term by
 * counting replicas, even once a majority holds it; only an entry of its own term commits, and the
 * earlier ones with it. Driven by hand on one real RaftNode, 5 members.
 */
describe('raft commit rule of section 5.4.2', () => {
  it('an earlier-term entry on a majority stays uncommitted until the leader\'s own-term entry is', () => {
    const stored: Entry[] = [
      { term: 1, index: 1, data: Buffer.from('a') },
      { term: 2, index: 2, data: Buffer.from('b') },
    ];
    const random = new SeededRandom(3);
    const s1 = new RaftNode({
      id: 1, peers: [1, 2, 3, 4, 5], electionTicks: 10, heartbeatTicks: 2, random: () => random.next(),
      preVote: false, maxEntriesPerAppend: 1, hardState: { term: 3, vote: 0, commit: 1 }, store: new MemoryEntryStore(stored),
    });
    const drain = (): Message[] => {
      const rd = s1.ready();
      s1.advance(rd);
      return [...rd.messages, ...rd.messagesAfterPersist];
    };
    for (let i = 0; i < 20 && s1.role !== 'candidate'; i++) s1.tick();
    expect(s1.role).toBe('candidate');
    expect(s1.term).toBe(4);
    drain();
    for (const from of [2, 3]) s1.step({ type: 'voteResp', from, to: 1, term: 4, reject: false });
    expect(s1.role).toBe('leader');
    drain(); // the no-op of term 4 at index 3 is now durable on the leader
    expect(s1.log.entry(3)).toMatchObject({ term: 4, data: null });
    const ack = (from: number, index: number): void =>
      s1.step({ type: 'appendResp', from, to: 1, term: 4, reject: false, index, hintIndex: 0, hintTerm: 0 });
    ack(2, 2);
    ack(3, 2);
    drain();
    // Index 2 (term 2) is on 1, 2 and 3, a majority, yet it must not commit yet.
    expect(s1.log.committed).toBe(1);
    ack(2, 3);
    expect(s1.log.committed).toBe(1);
    ack(3, 3);
    expect(s1.log.committed).toBe(3);
    const committed = s1.ready().committedEntries.map((e) => e.index);
    expect(committed).toEqual([2, 3]);
  });
});
