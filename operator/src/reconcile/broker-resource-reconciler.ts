/**
 * Topic and ConsumerGroup reconcile: a one-way sync of the resource to every active broker group of its
 * BrokerCluster through the admin protocol. The brokers are observed on every pass, so drift (someone ran
 * mqadmin) is repaired; a finalizer removes the topic/group from the brokers before the resource goes.
 */
import type { AdminConnector, ClusterAdmin } from '../admin/broker-admin.ts';
import { defaultBrokerClusterSpec, type BrokerCluster } from '../api/broker-cluster.ts';
import { setCondition, type Condition } from '../api/conditions.ts';
import { defaultConsumerGroupSpec, groupNameOf, type ConsumerGroup } from '../api/consumer-group.ts';
import { API_VERSION, FINALIZER, isPaused, type Resource } from '../api/group.ts';
import { defaultTopicSpec, PERM_BITS, topicNameOf, type SyncStatus, type Topic } from '../api/topic.ts';
import type { Recorder } from '../kube/event-recorder.ts';
import { describeApiError, type KubeClient, type ObjectRef } from '../kube/kube-client.ts';
import type { ReconcileResult } from '../kube/work-queue.ts';
import { brokerName } from '../render/names.ts';

export interface BrokerResourceReconcilerDeps {
  client: KubeClient;
  recorder: Recorder;
  admin: AdminConnector;
  /** Requeue when in sync, to find drift. */
  resyncMs?: number;
  /** Requeue when the cluster or its brokers are not there yet. */
  retryMs?: number;
  log?: (line: string) => void;
}

type Synced = Resource<{ clusterRef: { name: string } }, SyncStatus>;

/** What differs between a Topic and a ConsumerGroup. */
interface SyncKind<R extends Synced> {
  kind: 'Topic' | 'ConsumerGroup';
  plural: string;
  /** Name on the brokers. */
  nameOn(r: R): string;
  /** Brings one broker group in line; returns a description of what changed, or undefined when nothing did. */
  sync(admin: ClusterAdmin, r: R, group: string, masterAddr: string, route: Map<string, unknown> | undefined): Promise<string | undefined>;
  /** The current state on the brokers, keyed by brokerName (undefined when not observable). */
  observe(admin: ClusterAdmin, r: R): Promise<Map<string, unknown> | undefined>;
  remove(admin: ClusterAdmin, r: R, masters: Map<string, string>): Promise<void>;
}

export const topicKind: SyncKind<Topic> = {
  kind: 'Topic',
  plural: 'topics',
  nameOn: topicNameOf,
  async observe(admin, t) {
    const route = await admin.topicRoute(topicNameOf(t));
    return route ? new Map(route.map((q) => [q.brokerName, q])) : new Map();
  },
  async sync(admin, t, group, masterAddr, observed) {
    const spec = defaultTopicSpec(t.spec);
    const want = { readQueueNums: spec.readQueueNums, writeQueueNums: spec.writeQueueNums, perm: PERM_BITS[spec.perm] };
    const have = observed?.get(group) as typeof want | undefined;
    if (have && have.readQueueNums === want.readQueueNums && have.writeQueueNums === want.writeQueueNums && have.perm === want.perm) return undefined;
    await admin.upsertTopic(masterAddr, { topic: topicNameOf(t), ...want, order: spec.order });
    if (!have) return `created on ${group}`;
    const diffs = (Object.keys(want) as Array<keyof typeof want>).filter((k) => have[k] !== want[k]).map((k) => `${k} ${have[k]} -> ${want[k]}`);
    return `updated on ${group} (${diffs.join(', ')})`;
  },
  async remove(admin, t) {
    await admin.deleteTopic(topicNameOf(t));
  },
};

export const consumerGroupKind: SyncKind<ConsumerGroup> = {
  kind: 'ConsumerGroup',
  plural: 'consumergroups',
  nameOn: groupNameOf,
  // The broker has no cheap per-group read yet: a group is written when its generation was not synced.
  async observe() {
    return undefined;
  },
  async sync(admin, g, group, masterAddr) {
    const spec = defaultConsumerGroupSpec(g.spec);
    const synced = g.status?.observedGeneration === g.metadata.generation && (g.status?.brokers ?? []).includes(group)
      && g.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (synced) return undefined;
    await admin.upsertSubscriptionGroup(masterAddr, {
      groupName: groupNameOf(g), retryMaxTimes: spec.retryMaxTimes, consumeBroadcastEnable: spec.broadcast,
      consumeEnable: spec.consumeEnabled, consumeFromMinEnable: spec.consumeFromMinEnabled,
    });
    return `written to ${group}`;
  },
  async remove(admin, g, masters) {
    for (const addr of masters.values()) await admin.deleteSubscriptionGroup(addr, groupNameOf(g));
  },
};

export class BrokerResourceReconciler<R extends Synced> {
  private readonly d: BrokerResourceReconcilerDeps;
  private readonly k: SyncKind<R>;

  constructor(kind: SyncKind<R>, deps: BrokerResourceReconcilerDeps) {
    this.k = kind;
    this.d = deps;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const { client, recorder } = this.d;
    const resyncMs = this.d.resyncMs ?? 60_000;
    const retryMs = this.d.retryMs ?? 5000;
    const r = await client.get<R>(API_VERSION, this.k.kind, namespace, name);
    if (!r || isPaused(r.metadata)) return {};
    const ref: ObjectRef = { apiVersion: API_VERSION, kind: this.k.kind, name, namespace, uid: r.metadata.uid! };
    const generation = r.metadata.generation ?? 0;
    const clusterName = r.spec.clusterRef.name;
    const bc = await client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', namespace, clusterName);
    const onBrokers = this.k.nameOn(r);

    if (r.metadata.deletionTimestamp) {
      if (!(r.metadata.finalizers ?? []).includes(FINALIZER)) return {};
      // A resource that lost a name conflict never owned the name on the brokers: it must not delete it.
      const owner = (await this.rivals(r)).find((o) => isOlder(o, r));
      this.d.log?.(`${this.k.kind} ${namespace}/${name}: deleting (${owner ? `name owned by ${owner.metadata.name}, brokers untouched` : `removing ${onBrokers} from the brokers`})`);
      if (bc && !bc.metadata.deletionTimestamp && !owner) {
        const admin = this.d.admin.connect({ name: clusterName, namespace }, defaultBrokerClusterSpec(bc.spec));
        try {
          await this.k.remove(admin, r, await admin.masters());
          await recorder.record(ref, 'Normal', 'Deleted', `Deleted ${this.k.kind.toLowerCase()} ${onBrokers} from cluster ${clusterName}`);
        } catch (err) {
          await recorder.record(ref, 'Warning', 'DeleteFailed', `Cannot delete ${onBrokers} from the brokers yet: ${(err as Error).message}`);
          return { requeueAfterMs: retryMs };
        } finally {
          await admin.close().catch(() => {});
        }
      }
      await this.setFinalizer(r, false);
      this.d.log?.(`${this.k.kind} ${namespace}/${name}: finalizer removed`);
      return {};
    }
    if (!(r.metadata.finalizers ?? []).includes(FINALIZER)) await this.setFinalizer(r, true);

    let status: SyncStatus = { ...(r.status ?? {}) };
    const ready = async (c: Omit<Condition, 'lastTransitionTime' | 'observedGeneration' | 'type'>, extra: Partial<SyncStatus> = {}) => {
      status = { ...status, ...extra, observedGeneration: generation };
      status.conditions = setCondition(status.conditions, { type: 'Ready', ...c, observedGeneration: generation });
      await client.applyStatus(this.k.kind, this.k.plural, namespace, name, status);
    };

    // Two resources claiming the same name on the same cluster: the older one wins, the newer one says so.
    const older = (await this.rivals(r)).find((o) => isOlder(o, r));
    if (older) {
      await ready({ status: 'False', reason: 'Conflict', message: `${this.k.kind} ${older.metadata.name} already manages ${onBrokers} on cluster ${clusterName}` });
      await recorder.record(ref, 'Warning', 'Conflict', `${onBrokers} is already managed by ${this.k.kind} ${older.metadata.name}`);
      return { requeueAfterMs: resyncMs };
    }
    if (!bc) {
      await ready({ status: 'False', reason: 'ClusterNotFound', message: `BrokerCluster ${clusterName} does not exist in ${namespace}` });
      return { requeueAfterMs: retryMs };
    }

    const spec = defaultBrokerClusterSpec(bc.spec);
    const active = Array.from({ length: spec.brokerGroups.count }, (_, i) => brokerName({ name: clusterName, namespace }, i));
    const admin = this.d.admin.connect({ name: clusterName, namespace }, spec);
    try {
      const masters = await admin.masters();
      const observed = await this.k.observe(admin, r);
      const changes: string[] = [];
      const synced: string[] = [];
      for (const group of active) {
        const addr = masters.get(group);
        if (!addr) continue;
        const change = await this.k.sync(admin, r, group, addr, observed);
        if (change) changes.push(change);
        synced.push(group);
      }
      if (changes.length) {
        const drift = r.status?.observedGeneration === generation && status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        await recorder.record(ref, 'Normal', drift ? 'DriftRepaired' : 'Synced', `${this.k.kind} ${onBrokers} ${changes.join('; ')}`);
      }
      const missing = active.filter((g) => !synced.includes(g));
      const extra: Partial<SyncStatus> = { brokers: synced, ...(changes.length ? { lastSyncTime: nowIso() } : {}) };
      if (missing.length) {
        await ready({ status: 'False', reason: 'BrokersNotRegistered', message: `no master registered for ${missing.join(', ')} yet` }, extra);
        return { requeueAfterMs: retryMs };
      }
      await ready({ status: 'True', reason: 'Synced', message: `${onBrokers} is on ${synced.length} broker groups of ${clusterName}` }, extra);
      return { requeueAfterMs: resyncMs };
    } catch (err) {
      const message = `cannot reach the brokers of ${clusterName}: ${describeApiError(err)}`;
      await ready({ status: 'False', reason: 'BrokersUnreachable', message });
      await recorder.record(ref, 'Warning', 'SyncFailed', message);
      return { requeueAfterMs: retryMs };
    } finally {
      await admin.close().catch(() => {});
    }
  }

  /** Other live resources of this kind that name the same topic/group on the same cluster. */
  private async rivals(r: R): Promise<R[]> {
    const all = await this.d.client.list<R>(API_VERSION, this.k.kind, r.metadata.namespace);
    return all.filter((o) => o.metadata.name !== r.metadata.name && o.spec.clusterRef.name === r.spec.clusterRef.name
      && this.k.nameOn(o) === this.k.nameOn(r) && !o.metadata.deletionTimestamp);
  }

  /** Server-side apply of just our finalizer: other managers' finalizers are untouched. */
  private async setFinalizer(r: R, present: boolean): Promise<void> {
    await this.d.client.apply({
      apiVersion: API_VERSION, kind: this.k.kind,
      metadata: { name: r.metadata.name, namespace: r.metadata.namespace, finalizers: present ? [FINALIZER] : [] },
    });
  }
}

function isOlder(a: Synced, b: Synced): boolean {
  const ta = new Date(a.metadata.creationTimestamp ?? 0).getTime();
  const tb = new Date(b.metadata.creationTimestamp ?? 0).getTime();
  return ta < tb || (ta === tb && a.metadata.name < b.metadata.name);
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
