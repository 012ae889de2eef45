/** What the operator uses of the broker's metrics code: the /metrics listener and the process metrics. */
export { MetricsHttpServer, type MetricsLog } from './metrics-http-server.ts';
export { registerProcessMetrics } from './process-metrics.ts';
