import { describe, expect, it } from 'vitest';
import { raftGroupView, type RaftMemberReading } from '../../src/reconcile/raft-group.ts';
import { planRollout, type ObservedBroker } from '../../src/reconcile/rollout.ts';

const b = (group: number, brokerId: number, o: Partial<ObservedBroker> = {}): ObservedBroker => ({
  group, brokerId, podName: `demo-broker-${group}-${brokerId}-0`, exists: true, ready: true, updated: true, terminating: false, ...o,
});
const plan = (brokers: ObservedBroker[], raft = false, settling: string[] = []) => planRollout({ brokers, statefulSetsSettling: settling, raft });

describe('planRollout', () => {
  it('is done when every broker is ready and updated', () => {
    expect(plan([b(0, 0), b(0, 1)])).toEqual({ kind: 'done' });
  });

  it('restarts slaves first, highest brokerId first', () => {
    expect(plan([b(0, 0, { updated: false }), b(0, 1, { updated: false }), b(0, 2, { updated: false })]))
      .toEqual({ kind: 'restart', group: 0, brokerId: 2, podName: 'demo-broker-0-2-0' });
    expect(plan([b(0, 0, { updated: false }), b(0, 1, { updated: false }), b(0, 2)]))
      .toEqual({ kind: 'restart', group: 0, brokerId: 1, podName: 'demo-broker-0-1-0' });
  });

  it('restarts the master last, asking for its slaves to have caught up', () => {
    expect(plan([b(0, 0, { updated: false }), b(0, 1), b(0, 2)]))
      .toEqual({ kind: 'restart-master', group: 0, podName: 'demo-broker-0-0-0', slaveIds: [1, 2] });
  });

  it('never takes down a second broker: waits while any pod is missing, not ready or terminating', () => {
    expect(plan([b(0, 0, { updated: false }), b(0, 1, { ready: false })])).toEqual({ kind: 'wait', reason: 'pod demo-broker-0-1-0 is not Ready' });
    expect(plan([b(0, 0, { updated: false }), b(0, 1, { exists: false, updated: false })])).toMatchObject({ kind: 'wait', reason: expect.stringContaining('being created') });
    expect(plan([b(0, 0), b(1, 1, { terminating: true })])).toMatchObject({ kind: 'wait', reason: expect.stringContaining('terminating') });
  });

  it('finishes one group before the next', () => {
    expect(plan([b(0, 0, { updated: false }), b(0, 1), b(1, 0, { updated: false }), b(1, 1, { updated: false })]))
      .toMatchObject({ kind: 'restart-master', group: 0 });
  });

  it('waits while a StatefulSet has not observed its new spec (revisions unknown)', () => {
    expect(plan([b(0, 0), b(0, 1)], false, ['demo-broker-0-1'])).toMatchObject({ kind: 'wait' });
  });

  describe('Raft', () => {
    const rb = (id: number, o: Partial<ObservedBroker> = {}) => b(0, id, { podName: `demo-broker-0-${id}`, ...o });
    const member = (id: number, role: string, applied: number, commit = applied): RaftMemberReading => ({
      brokerId: id, podName: `demo-broker-0-${id}`,
      info: { dLegerSelfId: `n${id}`, dLegerRole: role, dLegerTerm: '4', dLegerCommitIndex: String(commit), dLegerAppliedIndex: String(applied) },
    });
    const view = (members: RaftMemberReading[], routed = 'n1') => new Map([[0, raftGroupView({ group: 0, brokerName: 'demo-0', members, routedMasterSelfId: routed, maxLagEntries: 64 })]]);
    const planRaft = (brokers: ObservedBroker[], members: RaftMemberReading[], routed?: string) =>
      planRollout({ brokers, statefulSetsSettling: [], raft: true, raftGroups: view(members, routed) });
    const caughtUp = [member(0, 'follower', 1000), member(1, 'leader', 1000), member(2, 'follower', 990)];

    it('followers first, highest ordinal first, skipping the leader', () => {
      const stale = [rb(0, { updated: false }), rb(1, { updated: false }), rb(2, { updated: false })];
      expect(planRaft(stale, caughtUp)).toMatchObject({ kind: 'restart', brokerId: 2, podName: 'demo-broker-0-2' });
      expect(planRaft([rb(0, { updated: false }), rb(1, { updated: false }), rb(2)], caughtUp)).toMatchObject({ kind: 'restart', brokerId: 0 });
    });

    it('the leader last: it is asked to hand off, then restarts as a follower once another member leads and is routed', () => {
      const leaderStale = [rb(0), rb(1, { updated: false }), rb(2)];
      expect(planRaft(leaderStale, caughtUp)).toEqual({ kind: 'transfer-leader', group: 0, brokerId: 1, podName: 'demo-broker-0-1' });
      const movedTo2 = [member(0, 'follower', 1000), member(1, 'follower', 1000), member(2, 'leader', 1000)];
      expect(planRaft(leaderStale, movedTo2, 'n1')).toMatchObject({ kind: 'wait', reason: expect.stringMatching(/leader n2 .* is not yet routed as brokerId 0 .*route n1/) });
      expect(planRaft(leaderStale, movedTo2, 'n2')).toMatchObject({ kind: 'restart', brokerId: 1 });
    });

    it('waits while a member lags the leader\'s commit, does not answer, or the group has no leader', () => {
      const stale = [rb(0, { updated: false }), rb(1), rb(2)];
      expect(planRaft(stale, [member(0, 'follower', 1000), member(1, 'leader', 1000), member(2, 'follower', 900)]))
        .toMatchObject({ kind: 'wait', reason: expect.stringContaining("n2 (pod demo-broker-0-2) applied 900 of the leader's 1000") });
      expect(planRaft(stale, [member(0, 'follower', 1000), member(1, 'leader', 1000), { brokerId: 2, podName: 'demo-broker-0-2', error: 'connect ECONNREFUSED' }]))
        .toMatchObject({ kind: 'wait', reason: expect.stringContaining('n2 (pod demo-broker-0-2) does not answer: connect ECONNREFUSED') });
      expect(planRaft(stale, [member(0, 'candidate', 10), member(1, 'follower', 10), member(2, 'follower', 10)]))
        .toMatchObject({ kind: 'wait', reason: expect.stringMatching(/^group demo-0 has no Raft leader yet \(n0 candidate term 4/) });
      expect(planRollout({ brokers: stale, statefulSetsSettling: [], raft: true })).toMatchObject({ kind: 'wait' });
    });
  });

  it('a lone master (no slaves) is restarted with an empty slave list', () => {
    expect(plan([b(0, 0, { updated: false })])).toEqual({ kind: 'restart-master', group: 0, podName: 'demo-broker-0-0-0', slaveIds: [] });
  });
});
