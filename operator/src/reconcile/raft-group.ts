/**
 * What the operator knows of one Raft group, from each member's runtime info (dLeger* fields) and the name
 * servers' route: who leads, whether the name servers route writes to it, who lags. A pure function, so
 * the roll planner and the status use one reading of the group and every verdict is testable without brokers.
 */
import type { RaftMemberStatus } from '../api/broker-cluster.ts';

export interface RaftMemberReading {
  brokerId: number;
  podName: string;
  /** GET_BROKER_RUNTIME_INFO of the member; undefined when it could not be asked (with why). */
  info?: Record<string, string>;
  error?: string;
}

export interface RaftGroupInput {
  group: number;
  brokerName: string;
  members: RaftMemberReading[];
  /** dLegerSelfId of the broker the name servers route as brokerId 0 of this group, if any answered. */
  routedMasterSelfId?: string;
  /** How many entries a member's applied index may trail the leader's commit index and count as caught up. */
  maxLagEntries: number;
}

export interface RaftGroupView {
  group: number;
  brokerName: string;
  members: RaftMemberStatus[];
  leader?: { brokerId: number; podName: string; member: string; commitIndex: number };
  /** The name servers route writes to the leader (it registered as brokerId 0). */
  leaderRouted: boolean;
  /** Members behind the leader's commit index, or not answering, each said in words. */
  lagging: string[];
  /** Why the group cannot take writes yet; undefined when it can. */
  wait?: string;
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

export function raftGroupView(input: RaftGroupInput): RaftGroupView {
  const members: RaftMemberStatus[] = input.members.map((m) => {
    const info = m.info;
    if (!info || info.dLegerRole === undefined) return { member: `n${m.brokerId}`, pod: m.podName, role: 'Unreachable' };
    const term = num(info.dLegerTerm);
    const commitIndex = num(info.dLegerCommitIndex);
    const appliedIndex = num(info.dLegerAppliedIndex);
    return {
      member: info.dLegerSelfId || `n${m.brokerId}`, pod: m.podName, role: info.dLegerRole,
      ...(term !== undefined ? { term } : {}), ...(commitIndex !== undefined ? { commitIndex } : {}), ...(appliedIndex !== undefined ? { appliedIndex } : {}),
    };
  });
  // During an election two members may both say leader for a moment: the higher term is the current one.
  const leaders = members.map((m, i) => ({ m, i })).filter(({ m }) => m.role === 'leader').sort((a, b) => (b.m.term ?? 0) - (a.m.term ?? 0));
  const top = leaders[0];
  const leader = top ? {
    brokerId: input.members[top.i]!.brokerId, podName: top.m.pod, member: top.m.member, commitIndex: top.m.commitIndex ?? 0,
  } : undefined;
  const leaderRouted = !!leader && input.routedMasterSelfId === leader.member;
  const lagging: string[] = [];
  for (const [i, m] of members.entries()) {
    if (m.role === 'Unreachable') {
      lagging.push(`${m.member} (pod ${m.pod}) does not answer${input.members[i]!.error ? `: ${input.members[i]!.error}` : ''}`);
    } else if (leader && m.member !== leader.member && (m.appliedIndex ?? 0) + input.maxLagEntries < leader.commitIndex) {
      lagging.push(`${m.member} (pod ${m.pod}) applied ${m.appliedIndex ?? 0} of the leader's ${leader.commitIndex}`);
    }
  }
  const up = members.filter((m) => m.role !== 'Unreachable').length;
  const majority = Math.floor(members.length / 2) + 1;
  const roles = members.map((m) => `${m.member} ${m.role}${m.term !== undefined ? ` term ${m.term}` : ''}`).join(', ');
  const wait = up < majority ? `group ${input.brokerName} has ${up} of ${members.length} Raft members up, ${majority} needed for a majority (${roles})`
    : !leader ? `group ${input.brokerName} has no Raft leader yet (${roles})`
      : !leaderRouted ? `group ${input.brokerName}: leader ${leader.member} (pod ${leader.podName}) is not yet routed as brokerId 0 by the name servers`
        + ` (they route ${input.routedMasterSelfId ?? 'no member'})`
        : undefined;
  return { group: input.group, brokerName: input.brokerName, members, ...(leader ? { leader } : {}), leaderRouted, lagging, ...(wait ? { wait } : {}) };
}
