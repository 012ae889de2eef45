import { describe, expect, it } from 'vitest';
import { raftGroupView, type RaftMemberReading } from '../../src/reconcile/raft-group.ts';

const member = (id: number, role: string, term: number, commit: number, applied = commit): RaftMemberReading => ({
  brokerId: id, podName: `demo-broker-0-${id}`,
  info: {
    dLegerSelfId: `n${id}`, dLegerRole: role, dLegerTerm: String(term), dLegerCommitIndex: String(commit), dLegerAppliedIndex: String(applied),
    dLegerLeaderId: 'n0',
  },
});
const gone = (id: number): RaftMemberReading => ({ brokerId: id, podName: `demo-broker-0-${id}`, error: 'no running pod' });
const view = (members: RaftMemberReading[], routedMasterSelfId?: string) =>
  raftGroupView({ group: 0, brokerName: 'demo-0', members, maxLagEntries: 64, ...(routedMasterSelfId ? { routedMasterSelfId } : {}) });

describe('raftGroupView', () => {
  it('a leader routed as brokerId 0 and a majority up: writable, with each member\'s role, term, commit and applied index', () => {
    const v = view([member(0, 'leader', 3, 500), member(1, 'follower', 3, 500, 480), gone(2)], 'n0');
    expect(v.wait).toBeUndefined();
    expect(v.leader).toEqual({ brokerId: 0, podName: 'demo-broker-0-0', member: 'n0', commitIndex: 500 });
    expect(v.members).toEqual([
      { member: 'n0', pod: 'demo-broker-0-0', role: 'leader', term: 3, commitIndex: 500, appliedIndex: 500 },
      { member: 'n1', pod: 'demo-broker-0-1', role: 'follower', term: 3, commitIndex: 500, appliedIndex: 480 },
      { member: 'n2', pod: 'demo-broker-0-2', role: 'Unreachable' },
    ]);
    expect(v.lagging).toEqual(['n2 (pod demo-broker-0-2) does not answer: no running pod']);
  });

  it('no majority up, no leader, or a leader the name servers do not route yet: each says what the group waits for', () => {
    expect(view([member(0, 'leader', 3, 5), gone(1), gone(2)], 'n0').wait)
      .toBe('group demo-0 has 1 of 3 Raft members up, 2 needed for a majority (n0 leader term 3, n1 Unreachable, n2 Unreachable)');
    expect(view([member(0, 'candidate', 4, 5), member(1, 'follower', 3, 5), gone(2)]).wait).toMatch(/^group demo-0 has no Raft leader yet/);
    expect(view([member(0, 'leader', 3, 5), member(1, 'follower', 3, 5), gone(2)]).wait).toMatch(/leader n0 \(pod demo-broker-0-0\) is not yet routed.*route no member/);
    expect(view([member(0, 'leader', 3, 5), member(1, 'follower', 3, 5), gone(2)], 'n1').wait).toMatch(/route n1\)$/);
  });

  it('two members that both say leader: the higher term leads', () => {
    expect(view([member(0, 'leader', 3, 5), member(1, 'leader', 4, 6), member(2, 'follower', 4, 6)], 'n1').leader?.member).toBe('n1');
  });

  it('a member more than maxLagEntries behind the leader\'s commit lags; within it does not', () => {
    expect(view([member(0, 'leader', 3, 1000), member(1, 'follower', 3, 1000, 936), member(2, 'follower', 3, 1000, 935)], 'n0').lagging)
      .toEqual(["n2 (pod demo-broker-0-2) applied 935 of the leader's 1000"]);
  });
});
