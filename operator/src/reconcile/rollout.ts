/**
 * Safe rolling of broker pods (StatefulSets use OnDelete, so nothing restarts until the operator deletes a
 * pod). A pure planner: observed pods in, the one next step out. One pod at a time across the cluster;
 * within a group slaves first (highest brokerId first), the master last and only after its slaves are on
 * the new revision, Ready, and caught up. A Raft group: followers first (highest ordinal first), each only while
 * every member is caught up with the leader; the leader last, after it handed leadership to a caught-up follower.
 */
import type { RaftGroupView } from './raft-group.ts';

export interface ObservedBroker {
  group: number;
  brokerId: number;
  podName: string;
  /** The pod exists (a deleted pod is being recreated by the StatefulSet controller). */
  exists: boolean;
  ready: boolean;
  /** Runs the StatefulSet's current template (controller-revision-hash == status.updateRevision). */
  updated: boolean;
  /** Marked for deletion already. */
  terminating: boolean;
}

export type RolloutStep =
  | { kind: 'done' }
  | { kind: 'wait'; reason: string }
  /** Delete a slave (or Raft follower) pod so it comes back with the new template. */
  | { kind: 'restart'; group: number; brokerId: number; podName: string; detail?: string }
  /** Ask a Raft leader that runs an old template to hand leadership to a caught-up follower; it restarts as a follower later. */
  | { kind: 'transfer-leader'; group: number; brokerId: number; podName: string }
  /** Delete the master pod, once slavesCaughtUp says yes for these slaves. */
  | { kind: 'restart-master'; group: number; podName: string; slaveIds: number[] };

export interface RolloutInput {
  brokers: ObservedBroker[];
  /** StatefulSets whose controller has not yet observed their latest spec: their revisions are not known. */
  statefulSetsSettling: string[];
  raft: boolean;
  /** Raft: what each group's members report, by group index. */
  raftGroups?: Map<number, RaftGroupView>;
}

export function planRollout(input: RolloutInput): RolloutStep {
  if (input.statefulSetsSettling.length > 0) {
    return { kind: 'wait', reason: `StatefulSet ${input.statefulSetsSettling[0]} has not observed its new spec yet` };
  }
  const sorted = [...input.brokers].sort((a, b) => a.group - b.group || a.brokerId - b.brokerId);
  // Never take a second broker down: everything must be up before the next restart.
  const down = sorted.find((b) => !b.exists || !b.ready || b.terminating);
  const outdated = sorted.filter((b) => !b.updated && b.exists);
  if (down) {
    const why = !down.exists ? 'is being created' : down.terminating ? 'is terminating' : 'is not Ready';
    return { kind: 'wait', reason: `pod ${down.podName} ${why}` };
  }
  if (outdated.length === 0) return { kind: 'done' };
  const group = outdated[0]!.group;
  const inGroup = sorted.filter((b) => b.group === group);
  const stale = outdated.filter((b) => b.group === group);
  if (input.raft) return planRaftGroup(group, stale, input.raftGroups?.get(group));
  const staleSlave = stale.filter((b) => b.brokerId > 0).sort((a, b) => b.brokerId - a.brokerId)[0];
  if (staleSlave) return { kind: 'restart', group, brokerId: staleSlave.brokerId, podName: staleSlave.podName };
  const master = stale.find((b) => b.brokerId === 0)!;
  return { kind: 'restart-master', group, podName: master.podName, slaveIds: inGroup.filter((b) => b.brokerId > 0).map((b) => b.brokerId) };
}

/** The next step in a Raft group with stale members: only while it has a routed leader and nobody lags. */
function planRaftGroup(group: number, stale: ObservedBroker[], view: RaftGroupView | undefined): RolloutStep {
  if (!view) return { kind: 'wait', reason: `group ${group}: its Raft members have not been asked yet` };
  if (view.wait) return { kind: 'wait', reason: view.wait };
  const leader = view.leader!;
  if (view.lagging.length) return { kind: 'wait', reason: `group ${view.brokerName} waits for members to catch up: ${view.lagging.join('; ')}` };
  const follower = stale.filter((b) => b.brokerId !== leader.brokerId).sort((a, b) => b.brokerId - a.brokerId)[0];
  if (follower) {
    return {
      kind: 'restart', group, brokerId: follower.brokerId, podName: follower.podName,
      detail: `leader ${leader.member} at commit ${leader.commitIndex}, every member caught up`,
    };
  }
  return { kind: 'transfer-leader', group, brokerId: leader.brokerId, podName: leader.podName };
}
