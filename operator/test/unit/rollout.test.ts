import { describe, expect, it } from 'vitest';
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

  it('Raft: members from the highest ordinal down', () => {
    expect(plan([b(0, 0, { updated: false }), b(0, 1, { updated: false }), b(0, 2, { updated: false })], true))
      .toEqual({ kind: 'restart', group: 0, brokerId: 2, podName: 'demo-broker-0-2-0' });
  });

  it('a lone master (no slaves) is restarted with an empty slave list', () => {
    expect(plan([b(0, 0, { updated: false })])).toEqual({ kind: 'restart-master', group: 0, podName: 'demo-broker-0-0-0', slaveIds: [] });
  });
});
