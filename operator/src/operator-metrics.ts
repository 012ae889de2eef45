/**
 * The operator's /metrics: reconciles by kind and result, their duration, Kubernetes API errors, and the roll and
 * drain progress of every BrokerCluster read from the status the reconciler wrote (listed at scrape time).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from '@tern/broker/metrics';
import { API_VERSION } from './api/group.ts';
import type { BrokerCluster } from './api/broker-cluster.ts';
import { statusCode, type KubeClient } from './kube/kube-client.ts';
import type { Reconcile } from './kube/work-queue.ts';

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconciles: Counter<'kind' | 'result'>;
  private readonly duration: Histogram<'kind'>;

  /** `namespaces`: the watched ones (each listed on its own, as namespaced RBAC requires); undefined or empty: all. */
  constructor(client: KubeClient, namespaces: readonly string[] | undefined) {
    const registers = [this.registry];
    registerProcessMetrics(this.registry);
    this.reconciles = new Counter({
      name: 'tern_operator_reconciles_total', help: 'Reconciles by kind and result (success, requeue: success with a follow-up, error).',
      labelNames: ['kind', 'result'], registers,
    });
    this.duration = new Histogram({
      name: 'tern_operator_reconcile_duration_seconds', help: 'Seconds one reconcile took, by kind.', labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    });
    const apiErrors = new Counter({
      name: 'tern_operator_api_errors_total', help: 'Kubernetes API calls that failed, by verb and HTTP status (0: no answer).',
      labelNames: ['verb', 'code'], registers,
    });
    client.onApiError((verb, err) => apiErrors.inc({ verb, code: String(statusCode(err) ?? 0) }));

    // Both gauges read one list per scrape: a scrape collects every metric at once, so the second caller finds the
    // first one's request in flight. A failed list is counted in tern_operator_api_errors_total; the scrape still answers.
    let inFlight: Promise<BrokerCluster[]> | undefined;
    const scopes = namespaces?.length ? namespaces : [undefined];
    const clustersNow = () => (inFlight ??= Promise.all(scopes.map((ns) => client.list<BrokerCluster>(API_VERSION, 'BrokerCluster', ns).catch(() => [])))
      .then((lists) => lists.flat())
      .finally(() => { inFlight = undefined; }));
    const clusterLabels = ['namespace', 'cluster'] as const;
    const labelsOf = (c: BrokerCluster) => ({ namespace: c.metadata.namespace ?? '', cluster: c.metadata.name ?? '' });
    new Gauge({
      name: 'tern_operator_broker_groups', help: 'Broker groups of a BrokerCluster by phase (Updating: rolling; Draining/Drained: scale-in progress).',
      labelNames: [...clusterLabels, 'phase'], registers,
      async collect(this: Gauge<'namespace' | 'cluster' | 'phase'>) {
        const clusters = await clustersNow();
        this.reset();
        for (const c of clusters) for (const g of c.status?.brokerGroups ?? []) this.inc({ ...labelsOf(c), phase: g.phase });
      },
    });
    new Gauge({
      name: 'tern_operator_broker_replicas', help: 'Broker pods of a BrokerCluster: desired, ready, and updated to the current spec (roll progress).',
      labelNames: [...clusterLabels, 'state'], registers,
      async collect(this: Gauge<'namespace' | 'cluster' | 'state'>) {
        const clusters = await clustersNow();
        this.reset();
        for (const c of clusters) {
          for (const g of c.status?.brokerGroups ?? []) {
            this.inc({ ...labelsOf(c), state: 'desired' }, g.replicas);
            this.inc({ ...labelsOf(c), state: 'ready' }, g.readyReplicas);
            this.inc({ ...labelsOf(c), state: 'updated' }, g.updatedReplicas);
          }
        }
      },
    });
  }

  /** The reconcile, timed and counted. */
  instrument(kind: string, reconcile: Reconcile): Reconcile {
    return async (key) => {
      const end = this.duration.startTimer({ kind });
      try {
        const result = await reconcile(key);
        this.reconciles.inc({ kind, result: result.requeueAfterMs !== undefined ? 'requeue' : 'success' });
        return result;
      } catch (err) {
        this.reconciles.inc({ kind, result: 'error' });
        throw err;
      } finally {
        end();
      }
    };
  }
}
