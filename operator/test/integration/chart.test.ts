/**
 * The Helm chart: `helm lint`, a render test, `helm install` on a real kube-apiserver, and the operator run
 * with nothing but the chart's RBAC (a token of the chart's ServiceAccount) to show the rules suffice.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig, type V1StatefulSet } from '@kubernetes/client-node';
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
      'ClusterRole/tern-tern-operator', 'ClusterRole/tern-tern-operator-storageclasses',
      'ClusterRoleBinding/tern-tern-operator', 'ClusterRoleBinding/tern-tern-operator-storageclasses',
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
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'tern-tern-operator') as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
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
    // Cluster-wide only: reading StorageClasses (is volume expansion allowed?).
    expect(docs.filter((d) => d.kind.startsWith('ClusterRole')).map((d) => d.metadata.name)).toEqual(['tern-tern-operator-storageclasses', 'tern-tern-operator-storageclasses']);
    expect((docs.find((d) => d.kind === 'ClusterRole') as unknown as { rules: unknown }).rules).toEqual([{ apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get'] }]);
    expect(kinds).toContain('ServiceMonitor/tern-system');
    expect(kinds).toContain('Service/tern-system');
    expect(docs.some((d) => d.metadata.name.endsWith('leader-election'))).toBe(false);
  });

  it('watchNamespaces gives a Role and RoleBinding in each namespace and the list to the operator; with watchNamespace too', async () => {
    const docs = await template(['watchNamespaces={team-a,team-b}', 'watchNamespace=team-c']);
    const roles = docs.filter((d) => d.kind === 'Role' && !d.metadata.name.endsWith('leader-election')).map((d) => d.metadata.namespace).sort();
    expect(roles).toEqual(['team-a', 'team-b', 'team-c']);
    expect(docs.filter((d) => d.kind === 'RoleBinding' && !d.metadata.name.endsWith('leader-election')).map((d) => d.metadata.namespace).sort())
      .toEqual(['team-a', 'team-b', 'team-c']);
    expect(docs.filter((d) => d.kind === 'ClusterRoleBinding').map((d) => d.metadata.name)).toEqual(['tern-tern-operator-storageclasses']);
    const env = (docs.find((d) => d.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } })
      .spec.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'WATCH_NAMESPACE')!.value).toBe('team-a,team-b,team-c');
    const all = (await template()).find((d) => d.kind === 'Deployment') as unknown as typeof docs[number] & { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } };
    expect(all.spec.template.spec.containers[0]!.env.find((e) => e.name === 'WATCH_NAMESPACE')!.value).toBe('');
  });

  it('values.schema.json refuses a bad value', async () => {
    await expect(helm(['template', 'tern', CHART, '--set', 'image.pullPolicy=Sometimes'])).rejects.toMatchObject({ stderr: expect.stringMatching(/pullPolicy/) });
    await expect(helm(['template', 'tern', CHART, '--set', 'watchNamespaces={Not_A_Name}'])).rejects.toMatchObject({ stderr: expect.stringMatching(/watchNamespaces/) });
  });
});

describe('chart on a real kube-apiserver', () => {
  let cp: ControlPlane;
  let kubelet: FakeKubelet;
  let operator: Operator | undefined;
  let kubelets: FakeKubelet[] = [];

  beforeAll(async () => {
    cp = await startControlPlane();
    process.stdout.write(`kube-apiserver ${cp.version}\n`);
  }, 300_000);

  afterAll(async () => {
    operator?.stop();
    kubelet?.stop();
    for (const k of kubelets) k.stop();
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
      // Async: a SYNC_MASTER without a slave never takes writes, so it would never be Ready.
      spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 }, brokerGroups: { replicasPerGroup: 1, replication: 'Async' } },
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

  it('one operator installed for two namespaces (watchNamespaces) runs a BrokerCluster in each and leaves a third alone', async () => {
    operator?.stop(); // the cluster-wide one of the test before
    operator = undefined;
    for (const ns of ['team-a', 'team-b', 'team-c']) await cp.kubectl(['create', 'namespace', ns]);
    const out = await helm(['install', 'scoped', CHART, '-n', 'tern-system', '--set', 'replicaCount=0', '--set', 'leaderElection.enabled=false',
      '--set', 'watchNamespaces={team-a,team-b}'], cp.kubeconfigPath);
    expect(out).toMatch(/STATUS: deployed/);
    const sa = 'system:serviceaccount:tern-system:scoped-tern-operator';
    const can = async (verb: string, what: string, ns: string) =>
      (await cp.kubectl(['auth', 'can-i', verb, what, '-n', ns, '--as', sa]).catch((e) => String(e.stdout ?? 'no'))).trim();
    expect(await can('patch', 'statefulsets.apps', 'team-a')).toBe('yes');
    expect(await can('patch', 'statefulsets.apps', 'team-b')).toBe('yes');
    expect(await can('list', 'statefulsets.apps', 'team-c')).toBe('no');

    const token = await cp.client.core.createNamespacedServiceAccountToken({
      name: 'scoped-tern-operator', namespace: 'tern-system', body: { spec: { expirationSeconds: 3600, audiences: [] } },
    });
    const server = (() => {
      const kc = new KubeConfig();
      kc.loadFromFile(cp.kubeconfigPath);
      return kc.getCurrentCluster()!.server;
    })();
    const saConfigPath = path.join(cp.dir, 'operator-scoped.kubeconfig');
    fs.writeFileSync(saConfigPath, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
      clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': fs.readFileSync(path.join(cp.dir, 'ca.crt')).toString('base64') } }],
      users: [{ name: 'sa', user: { token: token.status!.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa', namespace: 'team-a' } }],
    }));
    process.env.KUBECONFIG = saConfigPath; // the watches (kubernetes-fluent-client) read it on every request
    const saKc = new KubeConfig();
    saKc.loadFromFile(saConfigPath);
    kubelets = ['team-a', 'team-b', 'team-c'].map((ns) => new FakeKubelet(cp.client, ns));
    for (const k of kubelets) await k.start();
    const nowhere = { namesrv: () => '127.0.0.1:1', broker: () => '127.0.0.1:1' };
    operator = new Operator({
      client: new KubeClient(saKc), namespaces: ['team-a', 'team-b'], resolver: nowhere, pollMs: 300, resyncMs: 1000,
      ...(process.env.TERN_OPERATOR_LOG ? {} : { log: () => {} }),
    });
    await operator.start();
    for (const ns of ['team-a', 'team-b', 'team-c']) {
      await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name: 'mq', namespace: ns },
        spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 }, brokerGroups: { replicasPerGroup: 1, replication: 'Async' } },
      }));
    }
    for (const ns of ['team-a', 'team-b']) {
      const bc = await waitFor(`BrokerCluster ${ns}/mq Ready`, async () => {
        const b = await cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', ns, 'mq');
        return findCondition(b?.status?.conditions, 'Ready')?.status === 'True' ? b : undefined;
      }, 60_000);
      expect(bc.status!.nameServerAddress).toBe(`mq-namesrv-0.mq-namesrv.${ns}.svc:9876`);
      expect(await cp.client.get('apps/v1', 'StatefulSet', ns, 'mq-broker-0-0')).toBeDefined();
    }
    // Both were reconciled many times over by now (resync 1 s); the third namespace was never touched.
    expect((await cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', 'team-c', 'mq'))!.status).toBeUndefined();
    expect(await cp.client.list('apps/v1', 'StatefulSet', 'team-c')).toEqual([]);
  });

  it('raising storage.size grows bound PVCs in place where the StorageClass allows it, says where it does not, refuses to shrink', async () => {
    // Under the scoped operator of the test before: namespaced Roles plus the chart's StorageClass reader.
    const ns = 'team-a';
    for (const [name, expand] of [['expandable', true], ['fixed', false]] as const) {
      await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, provisioner: 'kubernetes.io/no-provisioner',
        volumeBindingMode: 'Immediate', ...(expand ? { allowVolumeExpansion: true } : {}),
      }));
      // One pre-made volume per class; the PV controller (kube-controller-manager) binds the broker's claim to it.
      await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `pv-${name}` },
        spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: name, hostPath: { path: `/tmp/tern-pv-${name}` } },
      }));
    }
    const cluster = (name: string, size: string, cls: string) => cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name, namespace: ns },
      spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 }, brokerGroups: { replicasPerGroup: 1, replication: 'Async', storage: { size, storageClassName: cls } } },
    }));
    const bcOf = (name: string) => cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', ns, name);
    const pvc = async (name: string) => (await cp.client.core.readNamespacedPersistentVolumeClaim({ name, namespace: ns }));
    const stsOf = (name: string) => cp.client.get<V1StatefulSet>('apps/v1', 'StatefulSet', ns, name);
    const templateSize = async (name: string) => String((await stsOf(name))?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage);
    const volumeCondition = async (name: string) => findCondition((await bcOf(name))?.status?.conditions, 'VolumeExpansion');
    await cluster('grow', '1Gi', 'expandable');
    await cluster('fixed', '1Gi', 'fixed');
    for (const name of ['grow', 'fixed']) {
      await waitFor(`PVC of ${name} Bound`, async () => (await pvc(`store-${name}-broker-0-0-0`).catch(() => undefined))?.status?.phase === 'Bound', 60_000);
      await waitFor(`${name} Ready`, async () => findCondition((await bcOf(name))?.status?.conditions, 'Ready')?.status === 'True', 60_000);
    }
    const podUid = async () => (await cp.client.core.readNamespacedPod({ name: 'grow-broker-0-0-0', namespace: ns })).metadata!.uid;
    const stsUid = (await stsOf('grow-broker-0-0'))!.metadata!.uid;
    const podBefore = await podUid();

    // Growth where the class allows it: the claim is patched, the StatefulSet recreated around the running pod.
    await cp.kubectl(['patch', 'brokercluster', 'grow', '-n', ns, '--type=merge', '-p', '{"spec":{"brokerGroups":{"storage":{"size":"2Gi"}}}}']);
    await waitFor('PVC requests 2Gi', async () => (await pvc('store-grow-broker-0-0-0')).spec?.resources?.requests?.storage === '2Gi', 30_000);
    await waitFor('StatefulSet recreated with 2Gi', async () => (await stsOf('grow-broker-0-0'))?.metadata?.uid !== stsUid && (await templateSize('grow-broker-0-0')) === '2Gi', 30_000);
    const resizing = await waitFor('VolumeExpansion Resizing', async () => {
      const c = await volumeCondition('grow');
      return c?.reason === 'Resizing' ? c : undefined;
    }, 30_000);
    // No resizer runs here, so the capacity stays 1Gi and the condition keeps saying what it waits for.
    expect(resizing).toMatchObject({ status: 'True', message: expect.stringMatching(/^PVC store-grow-broker-0-0-0 requested 2Gi; waiting for the storage driver \(capacity 1Gi\)/) });
    await waitFor('grow Ready again, generation 2', async () => {
      const b = await bcOf('grow');
      return findCondition(b?.status?.conditions, 'Ready')?.status === 'True' && b?.status?.observedGeneration === 2;
    }, 60_000);
    expect(await podUid()).toBe(podBefore); // the broker was never restarted
    expect((await cp.client.core.readNamespacedPod({ name: 'grow-broker-0-0-0', namespace: ns })).metadata!.ownerReferences?.[0]?.name).toBe('grow-broker-0-0');
    const events = (await cp.client.core.listNamespacedEvent({ namespace: ns })).items;
    expect(events.some((e) => e.reason === 'VolumeExpansion' && e.involvedObject.name === 'grow' && /Requested 2Gi for PVC store-grow-broker-0-0-0/.test(e.message!))).toBe(true);
    expect(events.some((e) => e.reason === 'RecreatingStatefulSet' && e.involvedObject.name === 'grow')).toBe(true);

    // Where the class does not allow it: nothing changes, and the condition names the class and the claim.
    await cp.kubectl(['patch', 'brokercluster', 'fixed', '-n', ns, '--type=merge', '-p', '{"spec":{"brokerGroups":{"storage":{"size":"2Gi"}}}}']);
    const refused = await waitFor('ExpansionNotAllowed', async () => {
      const c = await volumeCondition('fixed');
      return c?.reason === 'ExpansionNotAllowed' && c.observedGeneration === 2 ? c : undefined;
    }, 30_000);
    expect(refused.message).toBe('cannot grow volumes to 2Gi: StorageClass fixed (PVCs store-fixed-broker-0-0-0) does not allow volume expansion '
      + '(allowVolumeExpansion is not true, or the class cannot be read); volumes and StatefulSet templates stay at 1Gi');
    expect((await pvc('store-fixed-broker-0-0-0')).spec?.resources?.requests?.storage).toBe('1Gi');
    expect(await templateSize('fixed-broker-0-0')).toBe('1Gi');
    expect(findCondition((await bcOf('fixed'))!.status!.conditions, 'Degraded')!.status).toBe('False');

    // Shrinking is refused.
    await cp.kubectl(['patch', 'brokercluster', 'grow', '-n', ns, '--type=merge', '-p', '{"spec":{"brokerGroups":{"storage":{"size":"1Gi"}}}}']);
    const shrink = await waitFor('ShrinkNotSupported', async () => {
      const c = await volumeCondition('grow');
      return c?.reason === 'ShrinkNotSupported' ? c : undefined;
    }, 30_000);
    expect(shrink).toMatchObject({ status: 'False', observedGeneration: 3 });
    expect(await templateSize('grow-broker-0-0')).toBe('2Gi');
    expect((await pvc('store-grow-broker-0-0-0')).spec?.resources?.requests?.storage).toBe('2Gi');
  });
});
