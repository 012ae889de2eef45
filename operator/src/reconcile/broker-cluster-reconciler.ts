/**
 * BrokerCluster reconcile: read the whole desired state from the spec and the observed state from the
 * cluster, close the gap, report it. Level-triggered and idempotent: whatever woke it, it does the same.
 *
 *   volume plan (grow PVCs, recreate StatefulSets with a stale template size) -> render (pure) -> server-side apply ->
 *   prune what is no longer desired -> (Raft: ask every member and the route) -> can each SYNC_MASTER or Raft group
 *   take writes? -> one rolling step -> drain step for groups
 *   being scaled in -> status conditions with observedGeneration -> Events; a group that turned Running syncs its Topics
 */
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { AdminConnector, AddressResolver, ClusterAdmin } from '../admin/broker-admin.ts';
import type { ReplicaProgressProbe } from '../admin/replica-progress.ts';
import {
  defaultBrokerClusterSpec, type BrokerCluster, type BrokerClusterSpec, type BrokerClusterStatus, type BrokerGroupStatus,
} from '../api/broker-cluster.ts';
import { setCondition } from '../api/conditions.ts';
import type { ConsumerGroup } from '../api/consumer-group.ts';
import { groupNameOf } from '../api/consumer-group.ts';
import { API_VERSION, isPaused } from '../api/group.ts';
import { topicNameOf, type Topic } from '../api/topic.ts';
import type { Recorder } from '../kube/event-recorder.ts';
import { describeApiError, isNotFound, type KubeClient, type ObjectRef } from '../kube/kube-client.ts';
import type { ReconcileResult } from '../kube/work-queue.ts';
import { renderCluster, type Manifest, type RenderedCluster } from '../render/cluster.ts';
import { brokerName, brokerPodName, LABEL_CLUSTER, LABEL_COMPONENT, LABEL_GROUP } from '../render/names.ts';
import { clusterStatus, invalidSpecStatus, pausedStatus, type GroupWait, type StatusDecision } from './cluster-status.ts';
import { raftGroupView, type RaftGroupView, type RaftMemberReading } from './raft-group.ts';
import { planRollout, type ObservedBroker, type RolloutStep } from './rollout.ts';
import { observeVolumePlan, resizeVolumes } from './volume-resize.ts';

export interface BrokerClusterReconcilerDeps {
  client: KubeClient;
  recorder: Recorder;
  admin: AdminConnector;
  resolver: AddressResolver;
  catchUp: ReplicaProgressProbe;
  log?: (line: string) => void;
  /** Requeue while something is in progress. */
  pollMs?: number;
  /** Requeue when settled, to find drift nobody told us about. */
  resyncMs?: number;
  /** A group turned Running (writable): its Topics and ConsumerGroups are synced now rather than at their resync. */
  onGroupsReady?: (namespace: string, cluster: string, brokerNames: string[]) => void;
}

/** Kinds the operator creates for a cluster and prunes when they are no longer desired. */
const PRUNABLE: Array<[string, string]> = [
  ['apps/v1', 'StatefulSet'], ['v1', 'Service'], ['v1', 'ConfigMap'], ['policy/v1', 'PodDisruptionBudget'],
  ['monitoring.coreos.com/v1', 'ServiceMonitor'], ['monitoring.coreos.com/v1', 'PodMonitor'],
];
/** Kinds whose CRD may be absent (prometheus-operator): a failed list means there is nothing of ours to prune. */
const OPTIONAL_KINDS = new Set(['ServiceMonitor', 'PodMonitor']);

interface Observed {
  objects: Map<string, { apiVersion: string; kind: string; name: string; uid: string; resourceVersion: string; ownedBy: string[]; terminating: boolean }>;
  statefulSets: V1StatefulSet[];
  pods: V1Pod[];
}

/** A Raft member counts as caught up when its applied index trails the leader's commit by at most this many entries. */
const RAFT_CATCH_UP_ENTRIES = 64;

const key = (kind: string, name: string) => `${kind}/${name}`;

export class BrokerClusterReconciler {
  private readonly d: BrokerClusterReconcilerDeps;

  constructor(deps: BrokerClusterReconcilerDeps) {
    this.d = deps;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const { client, recorder } = this.d;
    const pollMs = this.d.pollMs ?? 2000;
    const resyncMs = this.d.resyncMs ?? 60_000;
    const bc = await client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', namespace, name);
    if (!bc || bc.metadata.deletionTimestamp) return {};
    const ref: ObjectRef = { apiVersion: API_VERSION, kind: 'BrokerCluster', name, namespace, uid: bc.metadata.uid! };
    const generation = bc.metadata.generation ?? 0;
    const previous: BrokerClusterStatus = { ...(bc.status ?? {}) };

    if (isPaused(bc.metadata)) {
      await this.writeStatus(namespace, name, withDecision(previous, pausedStatus(generation)));
      await recorder.record(ref, 'Normal', 'Paused', 'Reconciling paused (annotation tern.io/paused=true); nothing is changed until it is removed');
      return {};
    }

    const spec = defaultBrokerClusterSpec(bc.spec);
    const c = { name, namespace };
    const observed = await this.observe(namespace, name, ref.uid!);
    const existingGroups = new Set(observed.statefulSets
      .filter((s) => s.metadata?.labels?.[LABEL_COMPONENT] === 'broker')
      .map((s) => Number(s.metadata?.labels?.[LABEL_GROUP])));
    const draining = [...existingGroups].filter((g) => g >= spec.brokerGroups.count).sort((a, b) => a - b);

    const volumes = await observeVolumePlan(this.d, namespace, name, generation, spec);
    const renderSpec = volumes.templateSize === spec.brokerGroups.storage.size ? spec
      : { ...spec, brokerGroups: { ...spec.brokerGroups, storage: { ...spec.brokerGroups.storage, size: volumes.templateSize } } };
    let rendered: RenderedCluster;
    try {
      rendered = renderCluster({ name, namespace, uid: ref.uid!, spec: renderSpec }, { drainingGroups: draining });
    } catch (err) {
      const message = `cannot render the cluster: ${(err as Error).message}`;
      await this.writeStatus(namespace, name, withDecision(previous, invalidSpecStatus(generation, message)));
      await recorder.record(ref, 'Warning', 'InvalidSpec', message);
      return { requeueAfterMs: resyncMs };
    }

    const resized = await resizeVolumes(this.d, ref, volumes, observed.statefulSets);
    for (const n of resized.recreating) observed.objects.get(key('StatefulSet', n))!.terminating = true;
    const problems = resized.problems;
    problems.push(...await this.applyAndPrune(ref, rendered, observed));

    // --- observe again: StatefulSets just applied may have new generations ---
    const after = problems.length ? observed : await this.observe(namespace, name, ref.uid!);
    const brokers = this.observeBrokers(c, spec, rendered, after);
    const settling = after.statefulSets
      .filter((s) => s.metadata?.labels?.[LABEL_COMPONENT] === 'broker')
      .filter((s) => (s.status?.observedGeneration ?? 0) < (s.metadata?.generation ?? 0) || s.metadata?.deletionTimestamp)
      .map((s) => s.metadata!.name!);
    // A StatefulSet recreated for a new volume size: until it is back, its pods' revision means nothing.
    const present = new Set(after.statefulSets.map((s) => s.metadata!.name!));
    for (const g of rendered.groups) for (const n of g.statefulSets) if (!g.draining && !present.has(n) && observed.objects.has(key('StatefulSet', n))) settling.push(n);
    const raft = spec.brokerGroups.mode === 'Raft';

    let admin: ClusterAdmin | undefined;
    const adminFor = () => (admin ??= this.d.admin.connect(c, spec));
    let progress = { reason: '', message: '' };
    let groupWaits: GroupWait[] = [];
    let step: RolloutStep = { kind: 'wait', reason: 'the brokers could not be asked' };
    const raftGroups = new Map<number, RaftGroupView>();
    try {
      if (raft) for (const v of await this.observeRaftGroups(c, spec, rendered, brokers, adminFor)) raftGroups.set(v.group, v);
      step = planRollout({ brokers, statefulSetsSettling: settling, raft, raftGroups });
      groupWaits = raft
        ? [...raftGroups.values()].filter((v) => v.wait && v.group < spec.brokerGroups.count).map((v) => ({ group: v.group, reason: 'WaitingForRaftLeader', message: v.wait! }))
        : await this.syncMasterWaits(c, spec, brokers, adminFor);
      progress = await this.rollStep(ref, c, spec, step, after, adminFor);
      // the roll step's word comes first; else the first draining group's
      await this.drainStep(ref, c, rendered, brokers, draining, adminFor, (p) => { if (!progress.reason) progress = p; });
    } catch (err) {
      problems.push(`talking to the brokers: ${(err as Error).message}`);
    } finally {
      if (admin) await admin.close().catch(() => {});
    }

    // --- status ---
    if (problems.length) await recorder.record(ref, 'Warning', 'ReconcileFailed', problems.join('; '));
    const decision = clusterStatus({
      generation, groupCount: spec.brokerGroups.count, nameServerReplicas: spec.nameServer.replicas, brokers,
      nameServersReady: this.namesrvReady(after, spec), step, draining, problems, progress, groupWaits,
    });
    const status = this.statusOf(previous, rendered, brokers, draining, groupWaits, raftGroups);
    if (volumes.condition) decision.conditions.push(volumes.condition);
    await this.writeStatus(namespace, name, withDecision(status, decision));
    const wasRunning = new Set((previous.brokerGroups ?? []).filter((g) => g.phase === 'Running').map((g) => g.index));
    const turnedReady = (status.brokerGroups ?? []).filter((g) => g.phase === 'Running' && !wasRunning.has(g.index)).map((g) => g.brokerName);
    if (turnedReady.length) this.d.onGroupsReady?.(namespace, name, turnedReady);
    return { requeueAfterMs: decision.progressing || problems.length ? pollMs : resyncMs };
  }

  /** Server-side apply of every rendered object, then deletion of ours that are no longer desired; returns what failed. */
  private async applyAndPrune(ref: ObjectRef, rendered: RenderedCluster, observed: Observed): Promise<string[]> {
    const { client, recorder } = this.d;
    const problems: string[] = [];
    const created: string[] = [];
    const updated: string[] = [];
    const desired = new Set<string>();
    for (const m of rendered.manifests) {
      desired.add(key(m.kind, m.metadata.name));
      const before = observed.objects.get(key(m.kind, m.metadata.name));
      // Being deleted (a StatefulSet recreated for a new volume size): applied again once it is gone.
      if (before?.terminating) continue;
      try {
        const after = await client.apply(m);
        if (!before) created.push(`${m.kind} ${m.metadata.name}`);
        else if (after.metadata?.resourceVersion !== before.resourceVersion) updated.push(`${m.kind} ${m.metadata.name}`);
      } catch (err) {
        if (OPTIONAL_KINDS.has(m.kind) && isNotFound(err)) {
          const field = m.kind === 'ServiceMonitor' ? 'serviceMonitor' : 'podMonitor';
          problems.push(`metrics.${field} is set but the ${m.kind} CRD (prometheus-operator) is not installed`);
        } else {
          problems.push(`apply ${m.kind} ${m.metadata.name}: ${describeApiError(err)}`);
        }
      }
    }
    if (created.length) await recorder.record(ref, 'Normal', 'Created', `Created ${created.join(', ')}`);
    if (updated.length) await recorder.record(ref, 'Normal', 'Updated', `Updated ${updated.join(', ')}`);

    // ours (controller owner is this cluster), not desired, and not a group still draining (drain groups are rendered)
    for (const [k, o] of observed.objects) {
      if (desired.has(k) || !o.ownedBy.includes(ref.uid!)) continue;
      if (await client.delete({ apiVersion: o.apiVersion, kind: o.kind, name: o.name, namespace: ref.namespace! }, { uid: o.uid })) {
        await recorder.record(ref, 'Normal', 'Deleted', `Deleted ${o.kind} ${o.name}: no longer in the spec`);
      }
    }
    return problems;
  }

  /**
   * Active groups whose SYNC_MASTER cannot acknowledge a send: asked of the master once its group's pods are up
   * (before that, pod readiness already says what the group waits for).
   */
  private async syncMasterWaits(
    c: { name: string; namespace: string }, spec: BrokerClusterSpec, brokers: ObservedBroker[], adminFor: () => ClusterAdmin,
  ): Promise<GroupWait[]> {
    const g = spec.brokerGroups;
    if (g.replication !== 'Sync' || g.mode !== 'MasterSlave') return [];
    const waits: GroupWait[] = [];
    for (let group = 0; group < g.count; group++) {
      const name = brokerName(c, group);
      if (g.replicasPerGroup < 2) {
        waits.push({ group, reason: 'WaitingForSyncReplica', message: `group ${name} is a SYNC_MASTER without a slave (replicasPerGroup 1) and answers every send `
          + 'with SLAVE_NOT_AVAILABLE; set replication Async or replicasPerGroup >= 2' });
        continue;
      }
      const up = brokers.filter((b) => b.group === group).every((b) => b.exists && b.ready && !b.terminating);
      if (!up) continue;
      const verdict = await this.d.catchUp.syncMasterWritable(adminFor(), this.d.resolver.broker(c, spec, group, 0));
      if (!verdict.writable) waits.push({ group, reason: 'WaitingForSyncReplica', message: `group ${name} waits for a slave in sync with its SYNC_MASTER (${verdict.detail})` });
    }
    return waits;
  }

  /** A group being scaled in is removed once read-only and fully consumed; `say` hears what each group waits for or had done. */
  private async drainStep(
    ref: ObjectRef, c: { name: string; namespace: string }, rendered: RenderedCluster, brokers: ObservedBroker[], draining: number[],
    adminFor: () => ClusterAdmin, say: (progress: { reason: string; message: string }) => void,
  ): Promise<void> {
    for (const g of draining) {
      const groupBrokers = brokers.filter((b) => b.group === g);
      const settled = groupBrokers.every((b) => b.exists && b.ready && b.updated && !b.terminating);
      if (!settled) {
        say({ reason: 'Draining', message: `group ${brokerName(c, g)}: switching to read-only` });
        continue;
      }
      const verdict = await this.drainVerdict(c.namespace, c.name, brokerName(c, g), adminFor);
      if (!verdict.drained) {
        say({ reason: 'Draining', message: `group ${brokerName(c, g)} is read-only; waiting for consumers: ${verdict.detail}` });
        continue;
      }
      for (const sts of rendered.groups.find((x) => x.index === g)?.statefulSets ?? []) {
        await this.d.client.delete({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts, namespace: c.namespace });
      }
      await this.d.recorder.record(ref, 'Normal', 'GroupDrained',
        `Group ${brokerName(c, g)} drained (${verdict.detail}); its StatefulSets are deleted, its volumes kept`);
      say({ reason: 'Draining', message: `group ${brokerName(c, g)} drained; removing it` });
    }
  }

  private async rollStep(
    ref: ObjectRef, c: { name: string; namespace: string }, spec: BrokerClusterSpec, step: RolloutStep, observed: Observed,
    adminFor: () => ClusterAdmin,
  ): Promise<{ reason: string; message: string }> {
    const { client, recorder } = this.d;
    const podUid = (name: string) => observed.pods.find((p) => p.metadata?.name === name)?.metadata?.uid;
    switch (step.kind) {
      case 'done':
        return { reason: '', message: '' };
      case 'wait':
        return { reason: 'Waiting', message: step.reason };
      case 'restart': {
        await client.delete({ apiVersion: 'v1', kind: 'Pod', name: step.podName, namespace: c.namespace }, { uid: podUid(step.podName) });
        const what = spec.brokerGroups.mode === 'Raft' ? `Raft follower n${step.brokerId}` : `slave brokerId ${step.brokerId}`;
        await recorder.record(ref, 'Normal', 'RollingBroker',
          `Restarting ${what} of ${brokerName(c, step.group)} (pod ${step.podName}) to apply the new spec${step.detail ? ` (${step.detail})` : ''}`);
        return { reason: 'RollingUpdate', message: `restarting ${step.podName}` };
      }
      case 'transfer-leader': {
        // The leader restarts last, as a follower: it hands off first, so sends that retry find the new master at once.
        const group = brokerName(c, step.group);
        try {
          const remark = await adminFor().transferRaftLeadership(this.d.resolver.broker(c, spec, step.group, step.brokerId));
          await recorder.record(ref, 'Normal', 'TransferringLeadership',
            `Leader n${step.brokerId} of ${group} (pod ${step.podName}) hands leadership to a caught-up follower before it restarts: ${remark || 'done'}`);
          return { reason: 'TransferringLeadership', message: `leader n${step.brokerId} of ${group} handed off; waiting for the new leader to be routed` };
        } catch (err) {
          const message = `leader n${step.brokerId} of ${group} (pod ${step.podName}) could not hand off leadership: ${(err as Error).message}`;
          await recorder.record(ref, 'Warning', 'LeadershipTransferFailed', message);
          return { reason: 'TransferringLeadership', message };
        }
      }
      case 'restart-master': {
        const admin = adminFor();
        const masterAddr = this.d.resolver.broker(c, spec, step.group, 0);
        const slaveAddrs = step.slaveIds.map((id) => this.d.resolver.broker(c, spec, step.group, id));
        const verdict = await this.d.catchUp.slavesCaughtUp(admin, masterAddr, slaveAddrs);
        this.d.log?.(`${c.namespace}/${c.name}: master ${step.podName} catch-up: ${verdict.caughtUp} (${verdict.detail})`);
        if (!verdict.caughtUp) {
          // One Event per wait (the byte counts move on every pass; they are in the Progressing condition instead).
          await recorder.record(ref, 'Normal', 'WaitingForCatchUp', `Master of ${brokerName(c, step.group)} (pod ${step.podName}) waits for its slaves to catch up before it restarts`);
          return { reason: 'WaitingForCatchUp', message: `master of ${brokerName(c, step.group)} waits: ${verdict.detail}` };
        }
        await client.delete({ apiVersion: 'v1', kind: 'Pod', name: step.podName, namespace: c.namespace }, { uid: podUid(step.podName) });
        await recorder.record(ref, 'Normal', 'RollingBroker', `Restarting master of ${brokerName(c, step.group)} (pod ${step.podName}); slaves ready and caught up (${verdict.detail})`);
        return { reason: 'RollingUpdate', message: `restarting master ${step.podName}` };
      }
    }
  }

  /** Drained when every ConsumerGroup of the cluster has read every Topic's messages on that group. */
  private async drainVerdict(namespace: string, cluster: string, broker: string, adminFor: () => ClusterAdmin): Promise<{ drained: boolean; detail: string }> {
    const topics = (await this.d.client.list<Topic>(API_VERSION, 'Topic', namespace)).filter((t) => t.spec.clusterRef.name === cluster);
    const groups = (await this.d.client.list<ConsumerGroup>(API_VERSION, 'ConsumerGroup', namespace)).filter((g) => g.spec.clusterRef.name === cluster);
    const admin = adminFor();
    let total = 0;
    const behind: string[] = [];
    for (const g of groups) {
      for (const t of topics) {
        const lag = await admin.lag(groupNameOf(g), topicNameOf(t), broker);
        if (lag > 0) {
          total += lag;
          behind.push(`${groupNameOf(g)}@${topicNameOf(t)}=${lag}`);
        }
      }
    }
    if (total > 0) return { drained: false, detail: `${total} messages unread (${behind.slice(0, 5).join(', ')})` };
    return { drained: true, detail: `${groups.length} consumer groups x ${topics.length} topics fully consumed` };
  }

  private async observe(namespace: string, cluster: string, uid: string): Promise<Observed> {
    const selector = `${LABEL_CLUSTER}=${cluster},app.kubernetes.io/managed-by=tern-operator`;
    const objects: Observed['objects'] = new Map();
    let statefulSets: V1StatefulSet[] = [];
    for (const [apiVersion, kind] of PRUNABLE) {
      let items: Manifest[];
      try {
        items = await this.d.client.list<Manifest>(apiVersion, kind, namespace, selector);
      } catch (err) {
        if (OPTIONAL_KINDS.has(kind)) continue;
        throw err;
      }
      for (const o of items) {
        const ownedBy = (o.metadata?.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);
        objects.set(key(kind, o.metadata!.name!), {
          apiVersion, kind, name: o.metadata!.name!, uid: o.metadata!.uid!, resourceVersion: o.metadata!.resourceVersion!, ownedBy,
          terminating: !!o.metadata!.deletionTimestamp,
        });
      }
      if (kind === 'StatefulSet') statefulSets = (items as V1StatefulSet[]).filter((s) => (s.metadata?.ownerReferences ?? []).some((r) => r.uid === uid));
    }
    const pods = await this.d.client.list<V1Pod>('v1', 'Pod', namespace, `${LABEL_CLUSTER}=${cluster}`);
    return { objects, statefulSets, pods };
  }

  private observeBrokers(c: { name: string; namespace: string }, spec: BrokerClusterSpec, rendered: RenderedCluster, o: Observed): ObservedBroker[] {
    const raft = spec.brokerGroups.mode === 'Raft';
    const out: ObservedBroker[] = [];
    for (const g of rendered.groups) {
      for (let id = 0; id < spec.brokerGroups.replicasPerGroup; id++) {
        const podName = brokerPodName(c, g.index, id, raft);
        const stsName = raft ? g.statefulSets[0]! : g.statefulSets.find((s) => s.endsWith(`-${id}`))!;
        const sts = o.statefulSets.find((s) => s.metadata?.name === stsName);
        const pod = o.pods.find((p) => p.metadata?.name === podName);
        const ready = pod?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
        const revision = pod?.metadata?.labels?.['controller-revision-hash'];
        const updated = !!pod && !!sts?.status?.updateRevision && revision === sts.status.updateRevision;
        out.push({
          group: g.index, brokerId: id, podName, exists: !!pod, ready, updated, terminating: !!pod?.metadata?.deletionTimestamp,
        });
      }
    }
    return out;
  }

  /**
   * Each Raft group's members as their runtime info tells (asked in parallel; a pod that is gone or terminating is
   * not asked), and which member the name servers route as brokerId 0 (asked of the routed broker itself).
   */
  private async observeRaftGroups(
    c: { name: string; namespace: string }, spec: BrokerClusterSpec, rendered: RenderedCluster, brokers: ObservedBroker[], adminFor: () => ClusterAdmin,
  ): Promise<RaftGroupView[]> {
    const admin = adminFor();
    const ask = async (addr: string): Promise<{ info?: Record<string, string>; error?: string }> => {
      try {
        return { info: await admin.runtimeInfo(addr) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    let masters = new Map<string, string>();
    try {
      masters = await admin.masters();
    } catch (err) {
      this.d.log?.(`${c.namespace}/${c.name}: cannot read the route from the name servers: ${(err as Error).message}`);
    }
    return Promise.all(rendered.groups.map(async (g) => {
      const members: RaftMemberReading[] = await Promise.all(brokers.filter((b) => b.group === g.index).map(async (b) => ({
        brokerId: b.brokerId, podName: b.podName,
        ...(b.exists && !b.terminating ? await ask(this.d.resolver.broker(c, spec, g.index, b.brokerId)) : { error: 'no running pod' }),
      })));
      const routed = masters.get(g.brokerName);
      const routedMasterSelfId = routed ? (await ask(routed)).info?.dLegerSelfId : undefined;
      return raftGroupView({
        group: g.index, brokerName: g.brokerName, members, maxLagEntries: RAFT_CATCH_UP_ENTRIES, ...(routedMasterSelfId ? { routedMasterSelfId } : {}),
      });
    }));
  }

  private namesrvReady(o: Observed, spec: BrokerClusterSpec): boolean {
    const sts = o.statefulSets.find((s) => s.metadata?.labels?.[LABEL_COMPONENT] === 'namesrv');
    if (!sts) return false;
    const st = sts.status;
    return (st?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0)
      && (st?.readyReplicas ?? 0) >= spec.nameServer.replicas
      && (st?.updatedReplicas ?? 0) >= spec.nameServer.replicas;
  }

  private statusOf(
    prev: BrokerClusterStatus, rendered: RenderedCluster, brokers: ObservedBroker[], draining: number[], groupWaits: GroupWait[],
    raftGroups: Map<number, RaftGroupView>,
  ): BrokerClusterStatus {
    const groups: BrokerGroupStatus[] = rendered.groups.map((g) => {
      const bs = brokers.filter((b) => b.group === g.index);
      const readyReplicas = bs.filter((b) => b.ready && !b.terminating).length;
      const updatedReplicas = bs.filter((b) => b.updated).length;
      const wait = groupWaits.find((w) => w.group === g.index);
      const view = raftGroups.get(g.index);
      // Running means writable: a SYNC_MASTER without a slave in sync, or a Raft group without a routed leader, is not Running yet.
      const phase: BrokerGroupStatus['phase'] = draining.includes(g.index) ? 'Draining'
        : readyReplicas === 0 ? 'Pending' : updatedReplicas < bs.length || readyReplicas < bs.length || wait ? 'Updating' : 'Running';
      return {
        index: g.index, brokerName: g.brokerName, phase, replicas: bs.length, readyReplicas, updatedReplicas, ...(wait ? { message: wait.message } : {}),
        ...(view ? { members: view.members } : {}),
        ...(view?.leader ? { leader: view.leader.member, leaderPod: view.leader.podName } : {}),
      };
    });
    return {
      ...prev,
      nameServerAddress: rendered.nameServerAddress,
      readyBrokers: brokers.filter((b) => b.ready && !b.terminating).length,
      brokerGroups: groups,
    };
  }

  private async writeStatus(namespace: string, name: string, status: BrokerClusterStatus): Promise<void> {
    await this.d.client.applyStatus('BrokerCluster', 'brokerclusters', namespace, name, status);
  }
}

/** The previous status with the decision's conditions, phase and observedGeneration laid over it. */
function withDecision(status: BrokerClusterStatus, d: StatusDecision): BrokerClusterStatus {
  let conditions = status.conditions;
  for (const c of d.conditions) conditions = setCondition(conditions, c);
  return {
    ...status, conditions, phase: d.phase, ...(d.observedGeneration !== undefined ? { observedGeneration: d.observedGeneration } : {}),
  };
}
