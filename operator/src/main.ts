/**
 * tern-operator entry point. Configuration from the environment (the chart sets it):
 *   WATCH_NAMESPACE   namespaces to watch, comma separated (as Operator SDK has it), or empty for all
 *   LEADER_ELECT      "true" to run only while holding the Lease (several replicas)
 *   POD_NAMESPACE, POD_NAME  where the Lease lives and who holds it
 *   HEALTH_PORT       /healthz and /readyz [8081]
 *   METRICS_PORT      /metrics (Prometheus text) [8080]
 */
import http from 'node:http';
import os from 'node:os';
import { KubeClient, NoKubeConfigError } from './kube/kube-client.ts';
import { LeaderElector } from './kube/leader-election.ts';
import { Operator } from './operator.ts';
import { MetricsHttpServer } from '@tern/broker/metrics';

const env = process.env;
let client: KubeClient;
try {
  client = KubeClient.fromDefault();
} catch (err) {
  if (!(err instanceof NoKubeConfigError)) throw err;
  process.stderr.write(`tern-operator: ${err.message}\n`);
  process.exit(2);
}
const namespaces = (env.WATCH_NAMESPACE ?? '').split(',').map((n) => n.trim()).filter(Boolean);
const operator = new Operator({ client, namespaces });
let ready = false;

const health = http.createServer((req, res) => {
  const ok = req.url === '/healthz' || (req.url === '/readyz' && ready);
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
});
health.listen(Number(env.HEALTH_PORT ?? 8081));
const line = (level: string) => (message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
const metrics = new MetricsHttpServer(operator.metrics.registry, { info: line('info'), error: line('error') });
await metrics.listen(Number(env.METRICS_PORT ?? 8080), '0.0.0.0');

let elector: LeaderElector | undefined;
// Before the election: a standby replica waiting for the Lease must still stop at once on SIGTERM (as PID 1 in
// its container, Node would otherwise ignore the signal and use up the whole grace period).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    operator.stop();
    elector?.stop();
    health.close();
    void metrics.close();
    process.exit(0);
  });
}
if (env.LEADER_ELECT === 'true') {
  elector = new LeaderElector(client, {
    namespace: env.POD_NAMESPACE ?? 'default', name: 'tern-operator-leader', identity: env.POD_NAME ?? os.hostname(),
  });
  await elector.run(() => {
    process.stderr.write('lost the leader lease: exiting so that a new leader takes over\n');
    process.exit(1);
  });
}
await operator.start();
ready = true;
