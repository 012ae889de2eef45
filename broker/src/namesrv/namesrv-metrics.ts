import { Gauge, Registry } from 'prom-client';
import { registerProcessMetrics } from '../metrics/process-metrics.ts';
import { registerRpcMetrics } from '../metrics/rpc-metrics.ts';
import type { RemotingServer } from '../remoting/index.ts';
import type { RouteInfoManager } from './route-info-manager.ts';

/** The namesrv's registry: rpc latency and refusals as on the broker, and the size of its route table. */
export function namesrvMetricsRegistry(routes: RouteInfoManager, server: RemotingServer, nodeId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node_type: 'nameserver', node_id: nodeId });
  registerProcessMetrics(registry);
  registerRpcMetrics(registry, server);
  const registers = [registry];
  new Gauge({
    name: 'tern_namesrv_broker_addresses', help: 'Broker addresses registered and alive, by cluster.', labelNames: ['cluster'], registers,
    collect(this: Gauge<'cluster'>) {
      this.reset();
      for (const data of Object.values(routes.getClusterInfo().brokerAddrTable)) {
        this.inc({ cluster: data.cluster }, Object.keys(data.brokerAddrs).length);
      }
    },
  });
  new Gauge({
    name: 'tern_namesrv_topics', help: 'Topics with a route.', registers,
    collect(this: Gauge) { this.set(routes.getAllTopics().length); },
  });
  return registry;
}
