import { collectDefaultMetrics, type Registry } from 'prom-client';

/** prom-client's gauges whose names end in _total, which Prometheus's lint (promtool check metrics) rejects. */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** prom-client's process and Node.js runtime metrics (CPU, memory, event loop lag, GC), less the misnamed ones. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
}
