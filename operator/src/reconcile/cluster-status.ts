/**
 * What a BrokerCluster reconcile reports: Ready, Progressing and Degraded with their reasons, the phase and
 * observedGeneration. A pure decision from what the reconcile observed and did, beside the roll planner, so
 * every reason can be tested without a cluster; the reconciler only writes the result.
 */
import type { BrokerClusterStatus } from '../api/broker-cluster.ts';
import type { Condition } from '../api/conditions.ts';
import type { ObservedBroker, RolloutStep } from './rollout.ts';

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

export interface StatusDecision {
  /** In the order they are set (a new condition is appended to the list). */
  conditions: ConditionUpdate[];
  phase: NonNullable<BrokerClusterStatus['phase']>;
  /** Left unset when the spec was not acted upon (paused). */
  observedGeneration?: number;
  /** Something is still moving: the reconcile polls again soon instead of waiting for the resync. */
  progressing: boolean;
}

export function pausedStatus(generation: number): StatusDecision {
  return {
    conditions: [{ type: 'Progressing', status: 'False', reason: 'Paused', message: 'reconciling is paused by the tern.io/paused annotation', observedGeneration: generation }],
    phase: 'Paused',
    progressing: false,
  };
}

export function invalidSpecStatus(generation: number, message: string, reason = 'InvalidSpec'): StatusDecision {
  return {
    conditions: [
      { type: 'Degraded', status: 'True', reason, message, observedGeneration: generation },
      { type: 'Ready', status: 'False', reason, message, observedGeneration: generation },
    ],
    phase: 'Degraded',
    observedGeneration: generation,
    progressing: false,
  };
}

export interface ObservedCluster {
  generation: number;
  /** spec.brokerGroups.count and spec.nameServer.replicas (after defaults). */
  groupCount: number;
  nameServerReplicas: number;
  /** Every broker of every rendered group, draining groups included. */
  brokers: ObservedBroker[];
  nameServersReady: boolean;
  /** The roll planner's step for this pass. */
  step: RolloutStep;
  /** Groups at or beyond spec.brokerGroups.count that still exist. */
  draining: number[];
  /** Applies or admin calls that failed in this pass. */
  problems: string[];
  /** What the roll step or the drain did or waits for, when they said (empty reason: nothing said). */
  progress: { reason: string; message: string };
  /**
   * Active groups that cannot acknowledge a send yet, each with what it waits for: a SYNC_MASTER without a slave in
   * sync, a Raft group without a majority up or a leader routed as brokerId 0.
   */
  groupWaits: GroupWait[];
}

export interface GroupWait {
  group: number;
  /** WaitingForSyncReplica or WaitingForRaftLeader. */
  reason: string;
  message: string;
}

export function clusterStatus(o: ObservedCluster): StatusDecision {
  const g = o.generation;
  const conditions: ConditionUpdate[] = [];
  const active = o.brokers.filter((b) => b.group < o.groupCount);
  const allReady = active.length > 0 && active.every((b) => b.exists && b.ready && b.updated && !b.terminating);

  conditions.push(o.problems.length
    ? { type: 'Degraded', status: 'True', reason: 'ReconcileFailed', message: o.problems.join('; ').slice(0, 2000), observedGeneration: g }
    : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'every object applied', observedGeneration: g });

  // Ready means writable: pods up is not enough while a SYNC_MASTER would answer SLAVE_NOT_AVAILABLE, or a Raft
  // group has no leader the name servers route to.
  const waitsFor = o.groupWaits.map((w) => w.message).slice(0, 5).join('; ');
  const waitReason = o.groupWaits[0]?.reason ?? '';
  if (o.nameServersReady && allReady && o.groupWaits.length > 0) {
    conditions.push({ type: 'Ready', status: 'False', reason: waitReason, message: waitsFor, observedGeneration: g });
  } else if (o.nameServersReady && allReady) {
    conditions.push({
      type: 'Ready', status: 'True', reason: 'AllBrokersReady', observedGeneration: g,
      message: `${active.length} brokers in ${o.groupCount} groups and ${o.nameServerReplicas} name servers are ready`,
    });
  } else {
    const notReady = active.filter((b) => !(b.exists && b.ready && !b.terminating)).map((b) => b.podName);
    const message = !o.nameServersReady ? 'name servers are not all ready'
      : notReady.length ? `not ready: ${notReady.slice(0, 5).join(', ')}${notReady.length > 5 ? ', ...' : ''}` : 'brokers run an older revision';
    const reason = !o.nameServersReady ? 'NameServersNotReady' : notReady.length ? 'BrokersNotReady' : 'Updating';
    conditions.push({ type: 'Ready', status: 'False', reason, message, observedGeneration: g });
  }

  // Waiting for a slave to get in sync (or a leader) counts as progress: the reconcile polls, so Ready follows within pollMs.
  const progressing = o.step.kind !== 'done' || o.draining.length > 0 || !o.nameServersReady || o.groupWaits.length > 0;
  if (progressing) {
    let { reason, message } = o.progress;
    if (!reason) {
      const replicating = o.step.kind === 'done' && o.nameServersReady && o.groupWaits.length > 0;
      reason = replicating ? waitReason : o.step.kind === 'wait' ? 'Waiting' : !o.nameServersReady ? 'NameServersStarting' : 'RollingUpdate';
      message = replicating ? waitsFor : o.step.kind === 'wait' ? o.step.reason : !o.nameServersReady ? 'waiting for name servers' : 'rolling brokers';
    }
    conditions.push({ type: 'Progressing', status: 'True', reason, message, observedGeneration: g });
  } else {
    conditions.push({ type: 'Progressing', status: 'False', reason: 'UpToDate', message: 'every broker runs the current spec', observedGeneration: g });
  }

  const phase = o.problems.length ? 'Degraded' : o.draining.length ? 'Draining'
    : progressing ? (allReady || o.brokers.some((b) => b.ready) ? 'Updating' : 'Pending') : 'Running';
  return { conditions, phase, observedGeneration: g, progressing };
}
