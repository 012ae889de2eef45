/**
 * The operator: watches BrokerCluster, Topic, ConsumerGroup and the StatefulSets/Pods it manages, and runs
 * one keyed work queue per kind. main.ts runs it in a pod; the integration tests run it in-process.
 */
import type { AdminConnector, AddressResolver } from './admin/broker-admin.ts';
import { dnsAddressResolver, ternAdminConnector } from './admin/broker-admin.ts';
import { RuntimeInfoCatchUpProbe, type ReplicaProgressProbe } from './admin/replica-progress.ts';
import { API_VERSION } from './api/group.ts';
import type { Topic } from './api/topic.ts';
import { EventRecorder } from './kube/event-recorder.ts';
import type { KubeClient } from './kube/kube-client.ts';
import { startWatch, type WatchHandle, type WatchTarget } from './kube/watches.ts';
import { WorkQueue } from './kube/work-queue.ts';
import { BrokerClusterReconciler } from './reconcile/broker-cluster-reconciler.ts';
import { BrokerResourceReconciler, consumerGroupKind, topicKind } from './reconcile/broker-resource-reconciler.ts';
import { LABEL_CLUSTER } from './render/names.ts';
import { OperatorMetrics } from './operator-metrics.ts';

export interface OperatorOptions {
  client: KubeClient;
  /** Watch these namespaces; undefined (or empty) watches all. */
  namespaces?: string[];
  resolver?: AddressResolver;
  admin?: AdminConnector;
  catchUp?: ReplicaProgressProbe;
  pollMs?: number;
  resyncMs?: number;
  log?: (line: string) => void;
}

export class Operator {
  readonly clusters: WorkQueue;
  readonly topics: WorkQueue;
  readonly groups: WorkQueue;
  /** Served on /metrics by main.ts. */
  readonly metrics: OperatorMetrics;
  private readonly o: OperatorOptions;
  private readonly watches: WatchHandle[] = [];
  private readonly log: (line: string) => void;

  constructor(o: OperatorOptions) {
    this.o = o;
    this.log = o.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
    const resolver = o.resolver ?? dnsAddressResolver;
    const admin = o.admin ?? ternAdminConnector(resolver);
    const recorder = new EventRecorder(o.client);
    const clusterReconciler = new BrokerClusterReconciler({
      client: o.client, recorder, admin, resolver, catchUp: o.catchUp ?? new RuntimeInfoCatchUpProbe(), log: this.log,
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}), ...(o.resyncMs !== undefined ? { resyncMs: o.resyncMs } : {}),
      onGroupsReady: (namespace, cluster, brokerNames) => {
        this.log(`${namespace}/${cluster}: ${brokerNames.join(', ')} writable; syncing its Topics and ConsumerGroups`);
        void this.enqueueDependents(namespace, cluster);
      },
    });
    const resourceDeps = {
      client: o.client, recorder, admin, log: this.log,
      ...(o.resyncMs !== undefined ? { resyncMs: o.resyncMs } : {}), ...(o.pollMs !== undefined ? { retryMs: o.pollMs } : {}),
    };
    const topicReconciler = new BrokerResourceReconciler(topicKind, resourceDeps);
    const groupReconciler = new BrokerResourceReconciler(consumerGroupKind, resourceDeps);
    const onError = (what: string) => (key: string, err: unknown) => this.log(`${what} ${key}: reconcile failed: ${(err as Error)?.stack ?? err}`);
    this.metrics = new OperatorMetrics(o.client, o.namespaces);
    const timed = this.metrics.instrument.bind(this.metrics);
    this.clusters = new WorkQueue(timed('BrokerCluster', (k) => clusterReconciler.reconcile(...split(k))), { concurrency: 2, onError: onError('BrokerCluster') });
    this.topics = new WorkQueue(timed('Topic', (k) => topicReconciler.reconcile(...split(k))), { concurrency: 2, onError: onError('Topic') });
    this.groups = new WorkQueue(timed('ConsumerGroup', (k) => groupReconciler.reconcile(...split(k))), { concurrency: 1, onError: onError('ConsumerGroup') });
  }

  async start(): Promise<void> {
    const namespaces = this.o.namespaces?.length ? this.o.namespaces : [undefined];
    // One set of watches per namespace: with namespaced RBAC (a Role in each), a cluster-wide watch is forbidden.
    for (const ns of namespaces) {
      const on = (target: WatchTarget, handle: (o: { name: string; namespace: string; labels: Record<string, string> }) => void) =>
        startWatch(target, ns, (obj) => {
          const name = obj.metadata?.name;
          const namespace = obj.metadata?.namespace;
          if (name && namespace) handle({ name, namespace, labels: obj.metadata?.labels ?? {} });
        }, (m) => this.log(m));
      this.watches.push(await on('BrokerCluster', (o) => {
        this.clusters.add(`${o.namespace}/${o.name}`);
        void this.enqueueDependents(o.namespace, o.name);
      }));
      this.watches.push(await on('Topic', (o) => this.topics.add(`${o.namespace}/${o.name}`)));
      this.watches.push(await on('ConsumerGroup', (o) => this.groups.add(`${o.namespace}/${o.name}`)));
      const owner = (o: { namespace: string; labels: Record<string, string> }) => {
        const cluster = o.labels[LABEL_CLUSTER];
        if (cluster) this.clusters.add(`${o.namespace}/${cluster}`);
      };
      this.watches.push(await on('StatefulSet', owner));
      this.watches.push(await on('Pod', owner));
    }
    this.log(`tern-operator watching ${this.o.namespaces?.length ? `namespaces ${this.o.namespaces.join(', ')}` : 'all namespaces'}`);
  }

  stop(): void {
    for (const w of this.watches.splice(0)) w.close();
    this.clusters.stop();
    this.topics.stop();
    this.groups.stop();
  }

  /** A cluster change (new groups, a group turned writable) concerns every Topic and ConsumerGroup on it. */
  private async enqueueDependents(namespace: string, cluster: string): Promise<void> {
    try {
      for (const [kind, queue] of [['Topic', this.topics], ['ConsumerGroup', this.groups]] as const) {
        const items = await this.o.client.list<Topic>(API_VERSION, kind, namespace);
        for (const t of items) if (t.spec.clusterRef.name === cluster) queue.add(`${namespace}/${t.metadata.name}`);
      }
    } catch (err) {
      this.log(`listing dependents of ${namespace}/${cluster}: ${(err as Error).message}`);
    }
  }
}

function split(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
