/**
 * The operator against a real kube-apiserver + etcd + kube-controller-manager (built from Go modules) and
 * real Tern brokers started in this process: CRDs install with kubectl, a BrokerCluster produces its objects
 * and conditions, spec changes roll in the safe order, Topics are created, repaired and deleted on the brokers.
 */
import type { CoreV1Event, V1ConfigMap, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../../broker/src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../../broker/src/broker/broker-config.ts';
import { createLogger } from '../../../broker/src/logging/logger.ts';
import { tempDir } from '../../../broker/src/harness/temp-dir.ts';
import { waitFor } from '../../../broker/src/harness/wait-for.ts';
import { startLocalCluster, type LocalCluster } from '../../../broker/test/support/local-cluster.ts';
import { exportedFamilies, parseSamples, sampleSum, scrapeMetrics } from '../../../broker/src/harness/prometheus-text.ts';
import { ensurePromtool, promtoolCheckMetrics } from '../../../broker/src/harness/promtool.ts';
import { MetricsHttpServer } from '@tern/broker/metrics';
import { Admin, Producer, PushConsumer } from '@tern/broker/client';
import type { AddressResolver } from '../../src/admin/broker-admin.ts';
import { defaultBrokerClusterSpec, type BrokerCluster } from '../../src/api/broker-cluster.ts';
import { findCondition } from '../../src/api/conditions.ts';
import { API_VERSION, FIELD_MANAGER } from '../../src/api/group.ts';
import type { Topic } from '../../src/api/topic.ts';
import { Operator } from '../../src/operator.ts';
import { startControlPlane, REPO_ROOT, type ControlPlane } from '../support/control-plane.ts';
import { FakeKubelet } from '../support/fake-kubelet.ts';

const NS = 'tern-it';
const CLUSTER = 'demo';

let cp: ControlPlane;
let kubelet: FakeKubelet;
let operator: Operator;
let local: LocalCluster;
let slave: BrokerController;
let slaveConfig: BrokerConfig;
let group1: BrokerController;
let group1Slave: BrokerController;

beforeAll(async () => {
  cp = await startControlPlane();
  process.stdout.write(`kube-apiserver ${cp.version} (etcd + kube-apiserver + kube-controller-manager from ${cp.bin.KUBE_APISERVER})\n`);
  process.env.KUBECONFIG = cp.kubeconfigPath; // kubernetes-fluent-client's watches read it
  // Real Tern: namesrv + SYNC_MASTER of group demo-0 (the spec's default), and its slave (brokerId 1), as cluster "demo".
  local = await startLocalCluster({ brokerClusterName: CLUSTER, brokerName: `${CLUSTER}-0`, brokerRole: 'SYNC_MASTER' });
  slaveConfig = {
    ...defaultBrokerConfig(), brokerClusterName: CLUSTER, brokerName: `${CLUSTER}-0`, brokerId: 1, brokerRole: 'SLAVE',
    brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr: local.namesrvAddr,
    storePathRootDir: tempDir(), mappedFileSizeCommitLog: 64 * 1024 * 1024,
  };
  slave = new BrokerController(slaveConfig, createLogger('slave'));
  await slave.start();
  // In a pod the operator dials DNS names; here the brokers are local processes.
  const resolver: AddressResolver = {
    namesrv: () => local.namesrvAddr,
    broker: (_c, _s, group, id) => (group === 1 ? (id === 0 ? group1 : group1Slave).brokerAddr : id === 0 ? local.brokerAddr : slave.brokerAddr),
  };
  await cp.kubectl(['create', 'namespace', NS]);
  kubelet = new FakeKubelet(cp.client, NS);
  await kubelet.start();
  operator = new Operator({ client: cp.client, namespaces: [NS], resolver, pollMs: 300, resyncMs: 1000, ...(process.env.TERN_OPERATOR_LOG ? {} : { log: () => {} }) });
}, 300_000);

afterAll(async () => {
  operator?.stop();
  kubelet?.stop();
  await slave?.shutdown().catch(() => {});
  await group1Slave?.shutdown().catch(() => {});
  await group1?.shutdown().catch(() => {});
  await local?.stop().catch(() => {});
  await cp?.stop();
});

const bcGet = () => cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', NS, CLUSTER);
const sts = (name: string) => cp.client.get<V1StatefulSet>('apps/v1', 'StatefulSet', NS, name);
const pods = async () => (await cp.client.core.listNamespacedPod({ namespace: NS })).items as V1Pod[];
const events = async (reason?: string) => ((await cp.client.core.listNamespacedEvent({ namespace: NS })).items as CoreV1Event[])
  .filter((e) => !reason || e.reason === reason);

async function waitReady(generation?: number, timeoutMs = 60_000): Promise<BrokerCluster> {
  return waitFor('BrokerCluster Ready', async () => {
    const bc = await bcGet();
    const ready = findCondition(bc?.status?.conditions, 'Ready');
    const progressing = findCondition(bc?.status?.conditions, 'Progressing');
    if (ready?.status !== 'True' || progressing?.status !== 'False') return undefined;
    if (generation !== undefined && (bc!.status!.observedGeneration !== generation || ready.observedGeneration !== generation)) return undefined;
    return bc;
  }, timeoutMs, 200);
}

describe('CRDs on a real kube-apiserver', () => {
  it('kubectl apply -f crds/ installs them and they become Established', async () => {
    const out = await cp.kubectl(['apply', '--server-side', '-f', `${REPO_ROOT}/crds/`]);
    expect(out).toMatch(/brokerclusters.tern.io serverside-applied/);
    // Not `kubectl wait`: it errors out instead of waiting when it reads a CRD before the server gave it any conditions.
    const crds = ['brokerclusters.tern.io', 'topics.tern.io', 'consumergroups.tern.io'];
    await waitFor('the three CRDs Established', async (note) => {
      const established = await cp.kubectl(['get', 'crd', ...crds, '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Established")].status}{" "}{end}']);
      note(`Established: ${established}`);
      return established.trim().split(/\s+/).filter((v) => v === 'True').length === crds.length;
    }, 30_000);
  });

  it('the API server defaults a spec exactly as the render code does', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name: 'defaults', namespace: NS }, spec: { image: 'x' } }));
    const stored = await cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', NS, 'defaults');
    expect(stored!.spec).toEqual(defaultBrokerClusterSpec({ image: 'x' }));
    await cp.kubectl(['delete', 'brokercluster', 'defaults', '-n', NS]);
  });

  it('validation and CEL rules refuse bad specs with a message a person can act on', async () => {
    const apply = async (spec: unknown, kind = 'BrokerCluster') => {
      try {
        await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: API_VERSION, kind, metadata: { name: 'bad', namespace: NS }, spec }));
        return 'accepted';
      } catch (err) {
        return String((err as { stderr?: string }).stderr);
      }
    };
    expect(await apply({ image: 'x', brokerGroups: { config: { brokerRole: 'SLAVE' } } })).toMatch(/cannot be overridden/);
    expect(await apply({ image: 'x', brokerGroups: { config: { enableDLegerCommitLog: 'true' } } })).toMatch(/cannot be overridden/);
    expect(await apply({ image: 'x', brokerGroups: { mode: 'Raft', replicasPerGroup: 2 } })).toMatch(/Raft group needs replicasPerGroup >= 3/);
    expect(await apply({ image: 'x', brokerGroups: { replication: 'Maybe' } })).toMatch(/Unsupported value: "Maybe"/);
    expect(await apply({ image: 'x', brokerGroups: { config: { maxMessageSize: '1\nbrokerId=3' } } })).toMatch(/line breaks/);
    expect(await apply({ clusterRef: { name: 'demo' }, readQueueNums: 4, writeQueueNums: 8 }, 'Topic')).toMatch(/readQueueNums must be at least writeQueueNums/);
    expect(await apply({ clusterRef: { name: 'demo' }, topicName: 'bad name' }, 'Topic')).toMatch(/should match/);
  });
});

describe('BrokerCluster', () => {
  it('produces the expected objects, owned by the cluster and applied by Tern\'s field manager', async () => {
    await operator.start();
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name: CLUSTER, namespace: NS },
      spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 } },
    }));
    const bc = await waitReady(1);
    for (const name of ['demo-namesrv', 'demo-broker-0-0', 'demo-broker-0-1']) {
      const s = await sts(name);
      expect(s?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'BrokerCluster', name: CLUSTER, uid: bc.metadata.uid, controller: true });
      expect(s?.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply')).toBe(true);
    }
    expect((await sts('demo-broker-0-0'))!.spec!.updateStrategy!.type).toBe('OnDelete');
    const cm = await cp.client.get<V1ConfigMap>('v1', 'ConfigMap', NS, 'demo-broker-0-config');
    expect(cm!.data!['broker-0.conf']).toContain('brokerRole=SYNC_MASTER');
    expect(cm!.data!['broker-1.conf']).toContain('brokerRole=SLAVE');
    expect(cm!.data!['broker-0.conf']).toContain('namesrvAddr=demo-namesrv-0.demo-namesrv.tern-it.svc:9876');
    for (const [kind, name] of [['Service', 'demo-namesrv'], ['Service', 'demo-broker-0'], ['PodDisruptionBudget', 'demo-broker-0'], ['PodDisruptionBudget', 'demo-namesrv']]) {
      expect(await cp.client.get(kind === 'Service' ? 'v1' : 'policy/v1', kind!, NS, name!), `${kind} ${name}`).toBeDefined();
    }
    // The StatefulSet controller made the pods (and claims); the fake kubelet made them Ready.
    expect((await pods()).map((p) => p.metadata!.name).sort()).toEqual(['demo-broker-0-0-0', 'demo-broker-0-1-0', 'demo-namesrv-0']);
    const pvcs = (await cp.client.core.listNamespacedPersistentVolumeClaim({ namespace: NS })).items.map((p) => p.metadata!.name).sort();
    expect(pvcs).toEqual(['store-demo-broker-0-0-0', 'store-demo-broker-0-1-0']);
    expect(bc.status).toMatchObject({
      observedGeneration: 1, phase: 'Running', readyBrokers: 2,
      nameServerAddress: 'demo-namesrv-0.demo-namesrv.tern-it.svc:9876',
      brokerGroups: [{ index: 0, brokerName: 'demo-0', phase: 'Running', replicas: 2, readyReplicas: 2, updatedReplicas: 2 }],
    });
    expect(findCondition(bc.status!.conditions, 'Degraded')).toMatchObject({ status: 'False', observedGeneration: 1 });
    expect((await events('Created')).length).toBeGreaterThan(0);
  });

  it('reports a broker that is not Ready (Ready=False naming the pod), and recovers', async () => {
    kubelet.hold('demo-broker-0-1-0');
    await waitFor('Ready=False', async () => {
      const c = findCondition((await bcGet())?.status?.conditions, 'Ready');
      return c?.status === 'False' && c.reason === 'BrokersNotReady' && c.message.includes('demo-broker-0-1-0');
    });
    kubelet.release('demo-broker-0-1-0');
    await waitReady();
  });

  it('Ready means writable: a SYNC_MASTER whose slave is away is not Ready, and the condition names the group and what it waits for', async () => {
    const slavePort = slave.port;
    await slave.shutdown(); // the process stops; its pod still looks Ready to Kubernetes
    const c = await waitFor('Ready=False WaitingForSyncReplica', async () => {
      const x = findCondition((await bcGet())?.status?.conditions, 'Ready');
      return x?.status === 'False' && x.reason === 'WaitingForSyncReplica' ? x : undefined;
    });
    expect(c.message).toMatch(/^group demo-0 waits for a slave in sync with its SYNC_MASTER \(haConnectedSlaves 0, inSyncSlaveNums 0/);
    expect((await bcGet())!.status!.brokerGroups![0]).toMatchObject({ phase: 'Updating', message: c.message });

    slave = new BrokerController({ ...slaveConfig, listenPort: slavePort }, createLogger('slave'));
    await slave.start();
    await waitReady();
    // What Ready promises: the master acknowledges a send (SEND_OK, not SLAVE_NOT_AVAILABLE).
    const admin = new Admin({ namesrvAddr: local.namesrvAddr });
    await admin.createTopic('writable', { brokerAddr: local.brokerAddr, readQueueNums: 1, writeQueueNums: 1 });
    await waitFor('writable route', async () => (await admin.topicRoute('writable').catch(() => undefined))?.queueDatas.length === 1);
    const producer = new Producer({ namesrvAddr: local.namesrvAddr, group: 'it-writable' });
    await producer.start();
    expect((await producer.send({ topic: 'writable', body: Buffer.from('x') })).status).toBe('SEND_OK');
    await producer.shutdown();
    await admin.deleteTopic('writable', { clusterName: CLUSTER });
    await admin.shutdown();
  });

  it('rolls a spec change slave first, then the master, each after the previous is Ready and caught up', async () => {
    const before = Object.fromEntries((await pods()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    kubelet.deletions.length = 0;
    await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { brokerGroups: { config: { maxMessageSize: '1048576' } } } })]);
    const bc = await waitReady(2);
    const rolled = kubelet.deletions.filter((d) => d.startsWith('demo-broker-'));
    expect(rolled).toEqual([`demo-broker-0-1-0@${before['demo-broker-0-1-0']}`, `demo-broker-0-0-0@${before['demo-broker-0-0-0']}`]);
    expect(kubelet.deletions.some((d) => d.startsWith('demo-namesrv'))).toBe(false);
    const after = Object.fromEntries((await pods()).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    expect(after['demo-broker-0-0-0']).not.toBe(before['demo-broker-0-0-0']);
    expect(after['demo-namesrv-0']).toBe(before['demo-namesrv-0']);
    const rolling = (await events('RollingBroker')).map((e) => e.message!);
    expect(rolling.some((m) => /slave brokerId 1/.test(m))).toBe(true);
    expect(rolling.some((m) => /master of demo-0.*caught up/.test(m))).toBe(true);
    expect(bc.status!.brokerGroups![0]!.updatedReplicas).toBe(2);
  });

  it('does not restart a master whose slave cannot show it has caught up; restarts it once the slave has', async () => {
    // The slave process stops (its pod still looks Ready to Kubernetes); the master takes a message.
    const slavePort = slave.port;
    await slave.shutdown();
    const producer = new Producer({ namesrvAddr: local.namesrvAddr, group: 'it-producer' });
    await producer.start();
    const admin = new Admin({ namesrvAddr: local.namesrvAddr });
    await admin.createTopic('catchup', { brokerAddr: local.brokerAddr, readQueueNums: 1, writeQueueNums: 1 });
    // The broker registers the topic with the name server asynchronously; a producer asking earlier would fall back to TBW102.
    await waitFor('catchup route', async () => (await admin.topicRoute('catchup').catch(() => undefined))?.queueDatas.length === 1);
    await producer.send({ topic: 'catchup', body: Buffer.from('x') });
    await producer.shutdown();
    const masterUid = (await pods()).find((p) => p.metadata!.name === 'demo-broker-0-0-0')!.metadata!.uid;
    await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { brokerGroups: { config: { maxMessageSize: '2097152' } } } })]);
    const bc = await waitFor('WaitingForCatchUp', async () => {
      const b = await bcGet();
      return findCondition(b?.status?.conditions, 'Progressing')?.reason === 'WaitingForCatchUp' ? b : undefined;
    });
    expect(findCondition(bc.status!.conditions, 'Progressing')!.message).toMatch(/master of demo-0 waits: slave: cannot ask/);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await pods()).find((p) => p.metadata!.name === 'demo-broker-0-0-0')!.metadata!.uid).toBe(masterUid);
    expect((await events('WaitingForCatchUp')).length).toBeGreaterThan(0);

    // The slave comes back on its store; replication brings it to the master's offset; then the master rolls.
    slave = new BrokerController({ ...slaveConfig, listenPort: slavePort }, createLogger('slave'));
    await slave.start();
    await waitReady(3, 60_000);
    expect((await pods()).find((p) => p.metadata!.name === 'demo-broker-0-0-0')!.metadata!.uid).not.toBe(masterUid);
    const info = await admin.brokerRuntimeInfo(slave.brokerAddr);
    expect(Number(info.commitLogMaxOffset)).toBe(Number((await admin.brokerRuntimeInfo(local.brokerAddr)).commitLogMaxOffset));
    await admin.deleteTopic('catchup', { clusterName: CLUSTER });
    await admin.shutdown();
  });

  it('a pause annotation stops reconciling; removing it resumes', async () => {
    await cp.kubectl(['annotate', 'brokercluster', CLUSTER, '-n', NS, 'tern.io/paused=true']);
    await waitFor('phase Paused', async () => (await bcGet())?.status?.phase === 'Paused');
    const gen = (await sts('demo-namesrv'))!.metadata!.generation;
    await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { nameServer: { replicas: 2 } } })]);
    // The operator has seen the patched generation once its Paused condition carries it; it must have changed nothing.
    await waitFor('the paused reconcile of the patched spec', async () => {
      const b = await bcGet();
      const progressing = findCondition(b?.status?.conditions, 'Progressing');
      return progressing?.reason === 'Paused' && progressing.observedGeneration === b!.metadata.generation;
    });
    expect((await sts('demo-namesrv'))!.metadata!.generation).toBe(gen);
    expect((await sts('demo-namesrv'))!.spec!.replicas).toBe(1);
    await cp.kubectl(['annotate', 'brokercluster', CLUSTER, '-n', NS, 'tern.io/paused-']);
    await waitFor('name servers scaled to 2', async () => (await sts('demo-namesrv'))?.spec?.replicas === 2);
  });
});

describe('Topic', () => {
  const topicRoute = async (topic: string) => {
    const admin = new Admin({ namesrvAddr: local.namesrvAddr });
    try {
      return await admin.topicRoute(topic);
    } catch {
      return undefined;
    } finally {
      await admin.shutdown();
    }
  };

  it('creates the topic on the real broker, reports Ready, and repairs drift', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 'orders', namespace: NS },
      spec: { clusterRef: { name: CLUSTER }, readQueueNums: 6, writeQueueNums: 6 },
    }));
    const route = await waitFor('topic orders on the broker', async () => (await topicRoute('orders'))?.queueDatas.find((q) => q.brokerName === 'demo-0'));
    expect(route).toMatchObject({ readQueueNums: 6, writeQueueNums: 6, perm: 6 });
    const t = await waitFor('Topic Ready', async () => {
      const x = await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'orders');
      return findCondition(x?.status?.conditions, 'Ready')?.status === 'True' ? x : undefined;
    });
    expect(t.status).toMatchObject({ observedGeneration: 1, brokers: ['demo-0'] });
    expect(t.metadata.finalizers).toEqual(['tern.io/broker-cleanup']);

    // Someone changes it behind the operator's back (mqadmin updateTopic): the next pass puts it back.
    const admin = new Admin({ namesrvAddr: local.namesrvAddr });
    await admin.createTopic('orders', { brokerAddr: local.brokerAddr, readQueueNums: 2, writeQueueNums: 2 });
    await admin.shutdown();
    await waitFor('drift repaired', async () => (await topicRoute('orders'))?.queueDatas.find((q) => q.brokerName === 'demo-0')?.readQueueNums === 6);
    await waitFor('DriftRepaired event', async () => (await events('DriftRepaired')).some((e) => e.message!.includes('readQueueNums 2 -> 6')));

    // A spec change is applied.
    await cp.kubectl(['patch', 'topic', 'orders', '-n', NS, '--type=merge', '-p', '{"spec":{"perm":"ReadOnly"}}']);
    await waitFor('perm 4', async () => (await topicRoute('orders'))?.queueDatas.find((q) => q.brokerName === 'demo-0')?.perm === 4);
  });

  it('a second Topic claiming the same topic name gets a Conflict condition and changes nothing', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 'orders-copy', namespace: NS },
      spec: { clusterRef: { name: CLUSTER }, topicName: 'orders', readQueueNums: 1, writeQueueNums: 1 },
    }));
    const c = await waitFor('Conflict', async () => {
      const x = findCondition((await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'orders-copy'))?.status?.conditions, 'Ready');
      return x?.reason === 'Conflict' ? x : undefined;
    });
    expect(c.message).toMatch(/Topic orders already manages orders/);
    expect((await topicRoute('orders'))!.queueDatas[0]!.readQueueNums).toBe(6);
    await cp.kubectl(['delete', 'topic', 'orders-copy', '-n', NS, '--wait=true', '--timeout=30s']);
    expect((await topicRoute('orders'))!.queueDatas[0]!.readQueueNums).toBe(6);
  });

  it('a Topic on a missing cluster says so', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 'lost', namespace: NS }, spec: { clusterRef: { name: 'nope' } },
    }));
    await waitFor('ClusterNotFound', async () =>
      findCondition((await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'lost'))?.status?.conditions, 'Ready')?.reason === 'ClusterNotFound');
    await cp.kubectl(['delete', 'topic', 'lost', '-n', NS, '--wait=true', '--timeout=30s']);
  });

  it('deleting the Topic deletes the topic from the broker and the name server, then the finalizer goes', async () => {
    await cp.kubectl(['delete', 'topic', 'orders', '-n', NS, '--wait=true', '--timeout=30s']);
    expect(await cp.client.get(API_VERSION, 'Topic', NS, 'orders')).toBeUndefined();
    await waitFor('topic gone from the name server', async () => (await topicRoute('orders')) === undefined);
  });
});

describe('ConsumerGroup', () => {
  it('puts the group config on the brokers, and removes it when the ConsumerGroup is deleted', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'ConsumerGroup', metadata: { name: 'billing', namespace: NS }, spec: { clusterRef: { name: CLUSTER } },
    }));
    const c = await waitFor('condition', async () =>
      findCondition((await cp.client.get<Topic>(API_VERSION, 'ConsumerGroup', NS, 'billing'))?.status?.conditions, 'Ready'));
    expect(c).toMatchObject({ status: 'True', reason: 'Synced', observedGeneration: 1 });
    const admin = new Admin({ namesrvAddr: local.namesrvAddr });
    try {
      expect((await admin.subscriptionGroups(local.brokerAddr)).some((g) => g.groupName === 'billing')).toBe(true);
      await cp.kubectl(['delete', 'consumergroup', 'billing', '-n', NS, '--wait=true', '--timeout=30s']);
      expect((await admin.subscriptionGroups(local.brokerAddr)).some((g) => g.groupName === 'billing')).toBe(false);
    } finally {
      await admin.shutdown();
    }
  });
});

describe('scale out and scale in', () => {
  it('adds a group; scaling in turns it read-only, waits until consumers have read it, then removes it; volumes stay', async () => {
    // A Topic and a ConsumerGroup that has read nothing yet, on the one group there is.
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 'drain', namespace: NS }, spec: { clusterRef: { name: CLUSTER }, readQueueNums: 2, writeQueueNums: 2 } }));
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: API_VERSION, kind: 'ConsumerGroup', metadata: { name: 'drainer', namespace: NS }, spec: { clusterRef: { name: CLUSTER } } }));
    await waitFor('Topic on group 0', async () => (await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'drain'))?.status?.brokers?.length === 1);

    // A real SYNC_MASTER and slave for group demo-1, so that messages and consumer offsets live on it.
    group1 = new BrokerController({ ...slaveConfig, brokerName: `${CLUSTER}-1`, brokerId: 0, brokerRole: 'SYNC_MASTER', listenPort: 0, storePathRootDir: tempDir() }, createLogger('group1'));
    await group1.start();
    group1Slave = new BrokerController({ ...slaveConfig, brokerName: `${CLUSTER}-1`, listenPort: 0, storePathRootDir: tempDir() }, createLogger('group1-slave'));
    await group1Slave.start();
    await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', '{"spec":{"brokerGroups":{"count":2}}}']);
    await waitFor('group 1 StatefulSets', async () => (await sts('demo-broker-1-0')) && (await sts('demo-broker-1-1')));
    const running = await waitFor('group 1 Running', async () => {
      const g = (await bcGet())?.status?.brokerGroups?.find((x) => x.index === 1);
      return g?.phase === 'Running' ? performance.now() : undefined;
    }, 60_000);
    // The Topic reaches the new group because it turned Running, not at a later resync.
    await waitFor('Topic on both groups', async () => (await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'drain'))?.status?.brokers?.length === 2, 10_000);
    process.stdout.write(`Topic on the new group ${Math.round(performance.now() - running)} ms after it turned Running\n`);
    await waitReady(undefined, 60_000);
    await waitFor('drain route on both groups', async () => {
      const admin = new Admin({ namesrvAddr: local.namesrvAddr });
      try {
        return (await admin.topicRoute('drain').catch(() => undefined))?.queueDatas.length === 2;
      } finally {
        await admin.shutdown();
      }
    });
    const producer = new Producer({ namesrvAddr: local.namesrvAddr, group: 'drain-producer' });
    await producer.start();
    for (let i = 0; i < 8; i++) await producer.send({ topic: 'drain', body: Buffer.from(`m${i}`) });
    await producer.shutdown();

    kubelet.deletions.length = 0;
    await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', '{"spec":{"brokerGroups":{"count":1}}}']);
    await waitFor('draining group turned read-only', async () =>
      (await cp.client.get<V1ConfigMap>('v1', 'ConfigMap', NS, 'demo-broker-1-config'))?.data?.['broker-0.conf']?.includes('brokerPermission=4'));
    const waiting = await waitFor('waiting for consumers', async () => {
      const p = findCondition((await bcGet())?.status?.conditions, 'Progressing');
      return p?.reason === 'Draining' && /waiting for consumers/.test(p.message) ? p : undefined;
    }, 60_000);
    expect(waiting.message).toMatch(/messages unread \(drainer@drain=\d+\)/);
    expect((await bcGet())!.status!.brokerGroups!.find((g) => g.index === 1)!.phase).toBe('Draining');
    expect(await sts('demo-broker-1-0')).toBeDefined();

    // The consumers read everything; then the group goes.
    const consumer = new PushConsumer({ namesrvAddr: local.namesrvAddr, group: 'drainer', consumeFrom: 'first', persistOffsetIntervalMs: 200 });
    let read = 0;
    consumer.subscribe('drain').onMessage((msgs) => { read += msgs.length; });
    await consumer.start();
    await waitFor('group 1 removed', async () => !(await sts('demo-broker-1-0')) && !(await sts('demo-broker-1-1'))
      && !(await cp.client.get('v1', 'ConfigMap', NS, 'demo-broker-1-config')), 60_000);
    await consumer.shutdown();
    expect(read).toBeGreaterThanOrEqual(8);
    // Read-only was rolled in slave first, then the master; the group drained; its claims are kept.
    expect(kubelet.deletions.filter((d) => d.startsWith('demo-broker-1-')).map((d) => d.split('@')[0]).slice(0, 2)).toEqual(['demo-broker-1-1-0', 'demo-broker-1-0-0']);
    expect((await events('GroupDrained')).map((e) => e.message)).toEqual([expect.stringMatching(/Group demo-1 drained \(1 consumer groups x 1 topics fully consumed\)/)]);
    const pvcs = (await cp.client.core.listNamespacedPersistentVolumeClaim({ namespace: NS })).items.map((p) => p.metadata!.name);
    expect(pvcs).toContain('store-demo-broker-1-0-0');
    await waitFor('status lists one group', async () => (await bcGet())!.status!.brokerGroups!.map((g) => g.brokerName).join() === 'demo-0');
    await waitReady();
    await cp.kubectl(['delete', 'consumergroup', 'drainer', '-n', NS, '--wait=true', '--timeout=30s']);
  });
});

describe('the operator\'s /metrics', () => {
  it('counts the reconciles above by kind and result, times them, shows group phases and replica progress, and passes promtool', async () => {
    const server = new MetricsHttpServer(operator.metrics.registry, { info: () => {}, error: (m) => process.stderr.write(`${m}\n`) });
    await server.listen(0, '127.0.0.1');
    try {
      const text = await scrapeMetrics(server.port);
      const s = parseSamples(text);
      for (const kind of ['BrokerCluster', 'Topic', 'ConsumerGroup']) {
        const reconciles = sampleSum(s, 'tern_operator_reconciles_total', { kind }) ?? 0;
        expect(reconciles, kind).toBeGreaterThan(0);
        expect(sampleSum(s, 'tern_operator_reconcile_duration_seconds_count', { kind })).toBe(reconciles);
      }
      // The test above left one group, Running, with its master and slave pods ready and updated.
      expect(sampleSum(s, 'tern_operator_broker_groups', { namespace: NS, cluster: CLUSTER })).toBe(1);
      expect(sampleSum(s, 'tern_operator_broker_replicas', { namespace: NS, cluster: CLUSTER, state: 'desired' })).toBe(2);
      expect(exportedFamilies(text).has('tern_operator_api_errors_total')).toBe(true);
      const promtool = ensurePromtool();
      if (!promtool.path) {
        process.stderr.write(`SKIPPED: promtool check metrics on the operator: ${promtool.missing}\n`);
        return;
      }
      expect(promtoolCheckMetrics(promtool.path, text)).toBe('');
    } finally {
      await server.close();
    }
  });
});

describe('deleting the BrokerCluster', () => {
  it('the garbage collector removes what it owned; a Topic left on it lets go of its finalizer', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name: 'last', namespace: NS }, spec: { clusterRef: { name: CLUSTER } },
    }));
    await waitFor('Topic Ready', async () => findCondition((await cp.client.get<Topic>(API_VERSION, 'Topic', NS, 'last'))?.status?.conditions, 'Ready')?.status === 'True');
    await cp.kubectl(['delete', 'brokercluster', CLUSTER, '-n', NS, '--wait=true', '--timeout=30s']);
    await waitFor('owned objects collected', async () => !(await sts('demo-broker-0-0')) && !(await sts('demo-namesrv'))
      && !(await cp.client.get('v1', 'ConfigMap', NS, 'demo-broker-0-config')), 60_000);
    await cp.kubectl(['delete', 'topic', 'last', '-n', NS, '--wait=true', '--timeout=30s']);
    expect(await cp.client.get(API_VERSION, 'Topic', NS, 'last')).toBeUndefined();
  });
});
