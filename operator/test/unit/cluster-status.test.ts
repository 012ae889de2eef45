import { describe, expect, it } from 'vitest';
import { clusterStatus, invalidSpecStatus, pausedStatus, type ObservedCluster } from '../../src/reconcile/cluster-status.ts';
import type { ObservedBroker } from '../../src/reconcile/rollout.ts';

const b = (group: number, brokerId: number, o: Partial<ObservedBroker> = {}): ObservedBroker => ({
  group, brokerId, podName: `demo-broker-${group}-${brokerId}-0`, exists: true, ready: true, updated: true, terminating: false, ...o,
});
const settled: ObservedCluster = {
  generation: 7, groupCount: 2, nameServerReplicas: 1, brokers: [b(0, 0), b(0, 1), b(1, 0), b(1, 1)],
  nameServersReady: true, step: { kind: 'done' }, draining: [], problems: [], progress: { reason: '', message: '' }, groupWaits: [],
};
const status = (o: Partial<ObservedCluster>) => clusterStatus({ ...settled, ...o });
const byType = (d: ReturnType<typeof clusterStatus>) => Object.fromEntries(d.conditions.map((c) => [c.type, c]));

describe('clusterStatus', () => {
  it('is Running, Ready and not Progressing when every broker runs the spec; every condition carries the generation', () => {
    const d = status({});
    expect(d.conditions.map((c) => c.type)).toEqual(['Degraded', 'Ready', 'Progressing']);
    expect(byType(d)).toEqual({
      Degraded: { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'every object applied', observedGeneration: 7 },
      Ready: { type: 'Ready', status: 'True', reason: 'AllBrokersReady', message: '4 brokers in 2 groups and 1 name servers are ready', observedGeneration: 7 },
      Progressing: { type: 'Progressing', status: 'False', reason: 'UpToDate', message: 'every broker runs the current spec', observedGeneration: 7 },
    });
    expect(d).toMatchObject({ phase: 'Running', observedGeneration: 7, progressing: false });
  });

  it('says which name servers or brokers are not ready, at most five by name', () => {
    expect(byType(status({ nameServersReady: false })).Ready).toMatchObject({ status: 'False', reason: 'NameServersNotReady', message: 'name servers are not all ready' });
    const seven = Array.from({ length: 7 }, (_, i) => b(i, 0, { ready: false }));
    const d = status({ groupCount: 7, brokers: seven, step: { kind: 'wait', reason: 'pod demo-broker-0-0-0 is not Ready' } });
    expect(byType(d).Ready).toMatchObject({
      reason: 'BrokersNotReady', message: 'not ready: demo-broker-0-0-0, demo-broker-1-0-0, demo-broker-2-0-0, demo-broker-3-0-0, demo-broker-4-0-0, ...',
    });
    expect(d.phase).toBe('Pending'); // progressing and no broker ready yet
    expect(byType(status({ brokers: [b(0, 0), b(0, 1, { updated: false })], groupCount: 1, step: { kind: 'restart', group: 0, brokerId: 1, podName: 'p' } })).Ready)
      .toMatchObject({ status: 'False', reason: 'Updating', message: 'brokers run an older revision' });
  });

  it('reports a rolling step, in its own words when it gave some, else from the planner', () => {
    const waiting = status({ step: { kind: 'wait', reason: 'StatefulSet demo-broker-0-0 has not observed its new spec yet' } });
    expect(byType(waiting).Progressing).toMatchObject({ status: 'True', reason: 'Waiting', message: 'StatefulSet demo-broker-0-0 has not observed its new spec yet' });
    expect(waiting).toMatchObject({ phase: 'Updating', progressing: true });
    const catchUp = status({
      step: { kind: 'restart-master', group: 0, podName: 'demo-broker-0-0-0', slaveIds: [1] },
      progress: { reason: 'WaitingForCatchUp', message: 'master of demo-0 waits: 10 bytes behind' },
    });
    expect(byType(catchUp).Progressing).toMatchObject({ reason: 'WaitingForCatchUp', message: 'master of demo-0 waits: 10 bytes behind' });
    expect(byType(status({ step: { kind: 'restart', group: 0, brokerId: 1, podName: 'p' } })).Progressing).toMatchObject({ reason: 'RollingUpdate', message: 'rolling brokers' });
    expect(byType(status({ nameServersReady: false })).Progressing).toMatchObject({ status: 'True', reason: 'NameServersStarting', message: 'waiting for name servers' });
  });

  it('is not Ready while a SYNC_MASTER has no slave in sync, names the group and what it waits for, and polls', () => {
    const message = 'group demo-1 waits for a slave in sync with its SYNC_MASTER (haConnectedSlaves 0, inSyncSlaveNums 0, slave lag 0 bytes)';
    const d = status({ groupWaits: [{ group: 1, reason: 'WaitingForSyncReplica', message }] });
    expect(byType(d).Ready).toMatchObject({ status: 'False', reason: 'WaitingForSyncReplica', message });
    expect(byType(d).Progressing).toMatchObject({ status: 'True', reason: 'WaitingForSyncReplica', message });
    expect(d).toMatchObject({ phase: 'Updating', progressing: true });
    // A roll's own word stays first in Progressing; Ready still says why the cluster cannot take writes.
    const rolling = status({ groupWaits: [{ group: 1, reason: 'WaitingForSyncReplica', message }], step: { kind: 'wait', reason: 'pod demo-broker-1-1-0 is not Ready' } });
    expect(byType(rolling).Progressing).toMatchObject({ reason: 'Waiting', message: 'pod demo-broker-1-1-0 is not Ready' });
    // Pods that are not ready are named first: they are what the group waits for before replication can start.
    expect(byType(status({ groupWaits: [{ group: 1, reason: 'WaitingForSyncReplica', message }], brokers: [b(0, 0), b(0, 1), b(1, 0), b(1, 1, { ready: false })] })).Ready)
      .toMatchObject({ reason: 'BrokersNotReady', message: 'not ready: demo-broker-1-1-0' });
  });

  it('is not Ready while a Raft group has no leader routed as brokerId 0, with the reason the wait gives', () => {
    const message = 'group demo-0 has no Raft leader yet (n0 candidate term 3, n1 follower term 2, n2 Unreachable)';
    const d = status({ groupWaits: [{ group: 0, reason: 'WaitingForRaftLeader', message }] });
    expect(byType(d).Ready).toMatchObject({ status: 'False', reason: 'WaitingForRaftLeader', message });
    expect(byType(d).Progressing).toMatchObject({ status: 'True', reason: 'WaitingForRaftLeader', message });
    expect(d.progressing).toBe(true);
  });

  it('is Draining while a scaled-in group still exists; its brokers do not count for Ready', () => {
    const d = status({
      draining: [2], brokers: [...settled.brokers, b(2, 0, { ready: false }), b(2, 1)],
      progress: { reason: 'Draining', message: 'group demo-2: switching to read-only' },
    });
    expect(d.phase).toBe('Draining');
    expect(byType(d).Ready).toMatchObject({ status: 'True', reason: 'AllBrokersReady' });
    expect(byType(d).Progressing).toMatchObject({ status: 'True', reason: 'Draining', message: 'group demo-2: switching to read-only' });
    expect(d.progressing).toBe(true);
  });

  it('is Degraded when anything failed, with every problem in the message (bounded)', () => {
    const d = status({ problems: ['apply Service x: forbidden', 'talking to the brokers: timeout'] });
    expect(byType(d).Degraded).toMatchObject({ status: 'True', reason: 'ReconcileFailed', message: 'apply Service x: forbidden; talking to the brokers: timeout' });
    expect(d.phase).toBe('Degraded');
    expect(byType(status({ problems: ['x'.repeat(5000)] })).Degraded!.message).toHaveLength(2000);
    expect(status({ problems: ['p'], draining: [2] }).phase).toBe('Degraded');
  });

  it('is not Ready with no broker at all', () => {
    expect(byType(status({ brokers: [] })).Ready).toMatchObject({ status: 'False' });
  });
});

describe('pausedStatus / invalidSpecStatus', () => {
  it('paused: Progressing False, phase Paused, observedGeneration left as it was', () => {
    const d = pausedStatus(3);
    expect(d.conditions).toEqual([{ type: 'Progressing', status: 'False', reason: 'Paused', message: 'reconciling is paused by the tern.io/paused annotation', observedGeneration: 3 }]);
    expect(d.phase).toBe('Paused');
    expect(d.observedGeneration).toBeUndefined();
  });

  it('invalid spec: Degraded and not Ready with the render error, generation observed', () => {
    const d = invalidSpecStatus(4, 'cannot render the cluster: bad');
    expect(d.conditions.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Degraded', 'True', 'InvalidSpec', 'cannot render the cluster: bad'], ['Ready', 'False', 'InvalidSpec', 'cannot render the cluster: bad'],
    ]);
    expect(d).toMatchObject({ phase: 'Degraded', observedGeneration: 4, progressing: false });
  });
});
