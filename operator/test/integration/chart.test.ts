/**
 * The Helm chart: `helm lint`, a render test, `helm install` on a real kube-apiserver, and the operator run
 * with nothing but the chart's RBAC (a token of the chart's ServiceAccount) to show the rules suffice.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { findCondition } from '../../src/api/conditions.ts';
import { API_VERSION } from '../../src/api/group.ts';
import type { BrokerCluster } from '../../src/api/broker-cluster.ts';
import type { Topic } from '../../src/api/topic.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import { LeaderElector } from '../../src/kube/leader-election.ts';
import { Operator } from '../../src/operator.ts';
import { waitFor } from '../../../broker/src/harness/wait-for.ts';
import { ensureBinaries, REPO_ROOT, startControlPlane, type ControlPlane } from '../support/control-plane.ts';
import { FakeKubelet } from '../support/fake-kubelet.ts';

const CHART = path.join(REPO_ROOT, 'charts/tern-operator');

function helm(args: string[], kubeconfig?: string): Promise<string> {
  const bin = ensureBinaries().HELM;
  return new Promise((resolve, reject) => {
    execFile(bin, [...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), ...args], { encoding: 'utf8', env: { ...process.env, HELM_CACHE_HOME: '/tmp/tern-helm/cache', HELM_CONFIG_HOME: '/tmp/tern-helm/config', HELM_DATA_HOME: '/tmp/tern-helm/data' } },
      (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout)));
  });
}

interface Doc { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
async function template(values: string[] = []): Promise<Doc[]> {
  const out = await helm(['template', 'tern', CHART, '-n', 'tern-system', '--include-crds', ...values.flatMap((v) => ['--set', v])]);
  return parseAllDocuments(out).map((d) => d.toJS() as Doc).filter(Boolean);
}

describe('chart without a cluster', () => {
  it('helm lint passes (strict)', async () => {
    expect(await helm(['lint', '--strict', CHART])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders a restricted Deployment with leader election, ClusterRole RBAC without pods/exec, and the CRDs from crds/', async () => {
    const docs = await template();
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'ClusterRole/tern-tern-operator', 'ClusterRoleBinding/tern-tern-operator',
      'CustomResourceDefinition/brokerclusters.tern.io', 'CustomResourceDefinition/consumergroups.tern.io', 'CustomResourceDefinition/topics.tern.io',
      'Deployment/tern-tern-operator', 'Role/tern-tern-operator-leader-election', 'RoleBinding/tern-tern-operator-leader-election',
      'ServiceAccount/tern-tern-operator',
    ]);
    const dep = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: {
      securityContext: Record<string, unknown>; containers: Array<{ securityContext: Record<string, unknown>; env: Array<{ name: string; value?: string }>; image: string }>;
    } } } };
    const pod = dep.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] },
    });
    expect(pod.containers[0]!.env.find((e) => e.name === 'LEADER_ELECT')!.value).toBe('true');
    expect(pod.containers[0]!.image).toBe('docker.io/local/tern-operator:0.1.0');
    const role = docs.find((d) => d.kind === 'ClusterRole') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const resources = role.rules.flatMap((r) => r.resources);
    expect(resources).not.toContain('pods/exec');
    expect(resources).not.toContain('secrets');
    expect(role.rules.flatMap((r) => r.verbs)).not.toContain('*');
    for (const crd of docs.filter((d) => d.kind === 'CustomResourceDefinition')) {
      const committed = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, 'crds', `${crd.metadata.name}.yaml`), 'utf8'))[0]!.toJS();
      expect(crd).toEqual(committed);
    }
  });

  it('watchNamespace turns the ClusterRole into a Role in that namespace; serviceMonitor adds a Service and ServiceMonitor', async () => {
    const docs = await template(['watchNamespace=mq', 'serviceMonitor.enabled=true', 'podMonitor.enabled=true', 'leaderElection.enabled=false']);
    // Both scrape /metrics on the operator's metrics port (8080, METRICS_PORT), not /healthz.
    const sm = docs.find((d) => d.kind === 'ServiceMonitor') as unknown as { spec: { endpoints: unknown[] } };
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    const pm = docs.find((d) => d.kind === 'PodMonitor') as unknown as { spec: { podMetricsEndpoints: unknown[] } };
    expect(pm.spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    const svc = docs.find((d) => d.kind === 'Service') as unknown as { spec: { ports: unknown[] } };
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 8080, targetPort: 'metrics' }]);
    const deploy = docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ ports: unknown[]; env: Array<{ name: string; value?: string }> }> } } } };
    const container = deploy.spec.template.spec.containers[0]!;
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: 8080 });
    expect(container.env).toContainEqual({ name: 'METRICS_PORT', value: '8080' });
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}`);
    expect(kinds).toContain('Role/mq');
    expect(kinds).toContain('RoleBinding/mq');
    expect(kinds.some((k) => k.startsWith('ClusterRole'))).toBe(false);
    expect(kinds).toContain('ServiceMonitor/tern-system');
    expect(kinds).toContain('Service/tern-system');
    expect(docs.some((d) => d.metadata.name.endsWith('leader-election'))).toBe(false);
  });

  it('values.schema.json refuses a bad value', async () => {
    await expect(helm(['template', 'tern', CHART, '--set', 'image.pullPolicy=Sometimes'])).rejects.toMatchObject({ stderr: expect.stringMatching(/pullPolicy/) });
  });
});

describe('chart on a real kube-apiserver', () => {
  let cp: ControlPlane;
  let kubelet: FakeKubelet;
  let operator: Operator | undefined;

  beforeAll(async () => {
    cp = await startControlPlane();
    process.stdout.write(`kube-apiserver ${cp.version}\n`);
  }, 300_000);

  afterAll(async () => {
    operator?.stop();
    kubelet?.stop();
    await cp?.stop();
  });

  it('leader election: one holder of the Lease at a time; another takes over when the holder stops renewing', async () => {
    const opts = { namespace: 'default', name: 'tern-operator-leader-test', leaseDurationSec: 2, retryPeriodMs: 200 };
    const a = new LeaderElector(cp.client, { ...opts, identity: 'a' });
    const b = new LeaderElector(cp.client, { ...opts, identity: 'b' });
    await a.run(() => {});
    let bLeads = false;
    const bRun = b.run(() => {}).then(() => (bLeads = true));
    // b had its chance once the first renewal would have expired; a's later renewals must have kept it out.
    const renewedAt = async () => new Date((await cp.client.getLease('default', opts.name))!.spec!.renewTime!).getTime();
    const first = await renewedAt();
    await waitFor('a to renew past its first lease duration', async () => (await renewedAt()) > first + opts.leaseDurationSec * 1000, 10_000);
    expect(bLeads).toBe(false);
    expect((await cp.client.getLease('default', opts.name))!.spec!.holderIdentity).toBe('a');
    a.stop();
    await bRun;
    expect((await cp.client.getLease('default', opts.name))!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.stop();
  });

  it('helm install creates the CRDs, RBAC and Deployment; the operator runs with only that RBAC', async () => {
    await cp.kubectl(['create', 'namespace', 'tern-system']);
    await cp.kubectl(['create', 'namespace', 'apps']);
    const out = await helm(['install', 'tern', CHART, '-n', 'tern-system', '--set', 'replicaCount=0'], cp.kubeconfigPath);
    expect(out).toMatch(/STATUS: deployed/);
    await cp.kubectl(['wait', '--for=condition=Established', '--timeout=30s', 'crd/brokerclusters.tern.io', 'crd/topics.tern.io']);
    const sa = 'system:serviceaccount:tern-system:tern-tern-operator';
    expect((await cp.kubectl(['auth', 'can-i', 'patch', 'statefulsets.apps', '-n', 'apps', '--as', sa]).catch((e) => e.stdout)).trim()).toBe('yes');
    expect((await cp.kubectl(['auth', 'can-i', 'create', 'pods/exec', '-n', 'apps', '--as', sa]).catch((e) => String(e.stdout ?? 'no'))).trim()).toBe('no');
    expect((await cp.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', 'apps', '--as', sa]).catch((e) => String(e.stdout ?? 'no'))).trim()).toBe('no');

    // The operator with a token of the chart's ServiceAccount, nothing more.
    const token = await cp.client.core.createNamespacedServiceAccountToken({
      name: 'tern-tern-operator', namespace: 'tern-system', body: { spec: { expirationSeconds: 3600, audiences: [] } },
    });
    const admin = new KubeConfig();
    admin.loadFromFile(cp.kubeconfigPath);
    const cluster = admin.getCurrentCluster()!;
    const saConfigPath = path.join(cp.dir, 'operator-sa.kubeconfig');
    fs.writeFileSync(saConfigPath, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
      clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': fs.readFileSync(path.join(cp.dir, 'ca.crt')).toString('base64') } }],
      users: [{ name: 'sa', user: { token: token.status!.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa', namespace: 'apps' } }],
    }));
    process.env.KUBECONFIG = saConfigPath;
    const saKc = new KubeConfig();
    saKc.loadFromFile(saConfigPath);
    const saClient = new KubeClient(saKc);
    kubelet = new FakeKubelet(cp.client, 'apps');
    await kubelet.start();
    // No brokers run in this test; nothing should resolve cluster DNS names on the host either.
    const nowhere = { namesrv: () => '127.0.0.1:1', broker: () => '127.0.0.1:1' };
    operator = new Operator({ client: saClient, resolver: nowhere, pollMs: 300, resyncMs: 1000, ...(process.env.TERN_OPERATOR_LOG ? {} : { log: () => {} }) });
    await operator.start();

    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name: 'rbac', namespace: 'apps' },
      spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 }, brokerGroups: { replicasPerGroup: 1 } },
    }));
    const bc = await waitFor('BrokerCluster Ready under the chart RBAC', async () => {
      const b = await cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', 'apps', 'rbac');
      return findCondition(b?.status?.conditions, 'Ready')?.status === 'True' ? b : undefined;
    }, 60_000);
    expect(findCondition(bc.status!.conditions, 'Degraded')!.status).toBe('False');
    const events = (await cp.client.core.listNamespacedEvent({ namespace: 'apps' })).items;
    expect(events.some((e) => e.reason === 'Created' && e.involvedObject.name === 'rbac')).toBe(true);

    // Topic status, finalizers and Events under the same RBAC (no brokers run here: it says so).
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 't1', namespace: 'apps' }, spec: { clusterRef: { name: 'rbac' } },
    }));
    const c = await waitFor('Topic condition', async () =>
      findCondition((await cp.client.get<Topic>(API_VERSION, 'Topic', 'apps', 't1'))?.status?.conditions, 'Ready'), 60_000);
    expect(c).toMatchObject({ status: 'False', reason: 'BrokersUnreachable' });
    expect((await cp.client.get<Topic>(API_VERSION, 'Topic', 'apps', 't1'))!.metadata.finalizers).toEqual(['tern.io/broker-cleanup']);
  });
});
