import { collectDefaultMetrics, Registry } from 'prom-client';

/** prom-client's gauges whose names end in _total, which Prometheus's lint (promtool check metrics) rejects. */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | undefined;

/**
 * prom-client's process and Node.js runtime metrics (CPU, memory, event loop lag, GC), less the misnamed ones.
 * Made once per process and shared: each set starts its own event-loop and GC observers, and a test process
 * starts many brokers.
 */
export function registerProcessMetrics(registry: Registry): void {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) processRegistry.removeSingleMetric(name);
  }
  for (const { name } of processRegistry.getMetricsAsArray()) registry.registerMetric(processRegistry.getSingleMetric(name)!);
}
