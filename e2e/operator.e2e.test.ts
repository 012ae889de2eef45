/**
 * End to end on a real cluster (make cluster-up here, or kind): the operator installed with Helm from
 * charts/tern-operator, a BrokerCluster of 1 name server and 2 groups of master + slave, messages through a
 * client pod running the Tern image, then a master deleted and a master crashed (SIGKILL) under traffic, an image
 * roll under traffic, scale 2 -> 3 -> 2 with drain, and deletion. Every acknowledged message must be consumed.
 *
 * The tests run in order and build on each other. Environment: KUBECONFIG (default: the local cluster's),
 * TERN_E2E_IMAGE / TERN_E2E_IMAGE_NEXT (broker image before and after the roll), TERN_E2E_OPERATOR_IMAGE.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  apply, condition, execInBackground, getJson, getOptional, helm, HELM, kubectl, KUBECTL, progress, REPO_ROOT, run, waitFor, type Json,
} from './support/kube.ts';
import { longestAckGap } from './support/ack-timeline.ts';
import { killContainer } from './support/crash.ts';
import { consumeAll, produce, Traffic, type ClientPod } from './support/traffic.ts';

const IMAGE = process.env.TERN_E2E_IMAGE ?? 'docker.io/local/tern:dev';
const IMAGE_NEXT = process.env.TERN_E2E_IMAGE_NEXT ?? 'docker.io/local/tern:next';
const OPERATOR_IMAGE = process.env.TERN_E2E_OPERATOR_IMAGE ?? 'docker.io/local/tern-operator:dev';
const NS = process.env.TERN_E2E_NAMESPACE ?? 'tern-e2e';
/** A second watched namespace with a second, small BrokerCluster: one operator, two namespaces (chart watchNamespaces). */
const NS2 = `${NS}-second`;
const OPERATOR_NS = 'tern-system';
const RELEASE = 'tern-operator';
const CLUSTER = 'e2e';
const TOPIC = 'e2e-orders';
const DRAIN_GROUP = 'e2e-drain';
const CLUSTER_LABEL = `tern.io/cluster=${CLUSTER}`;

const MIN = 60_000;
/**
 * Fewest acknowledged messages each phase under traffic must see (Traffic sends 100/s). Each phase sends for at least
 * 10 s while both groups replicate (before the fault, and after replication is back), ~1000 acks; during the fault a
 * SYNC_MASTER whose slave is away answers SLAVE_NOT_AVAILABLE, which counts for nothing. Room for a slow machine,
 * none for a producer that never got through.
 */
const MIN_ACKED = { masterDeleted: 500, masterCrashed: 500, roll: 500, raftLeaderCrashed: 500 } as const;
let client: ClientPod;
let failed = false;

function splitImage(ref: string): { repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repository: ref.slice(0, at), tag: ref.slice(at + 1) } : { repository: ref, tag: 'latest' };
}

async function brokerCluster(): Promise<Json> {
  return getJson(NS, ['brokercluster', CLUSTER]);
}

/** Ready=True for the current generation, and every group of the spec reported ready. */
async function waitClusterReady(what: string, timeoutMs = 5 * MIN): Promise<Json> {
  return waitFor(`BrokerCluster ${CLUSTER} Ready (${what})`, timeoutMs, async (note) => {
    const bc = await brokerCluster();
    const ready = condition(bc, 'Ready');
    note(`phase=${bc.status?.phase} Ready=${ready?.status}/${ready?.reason}: ${ready?.message ?? ''} observed=${bc.status?.observedGeneration}/${bc.metadata.generation}`);
    return ready?.status === 'True' && bc.status?.observedGeneration === bc.metadata.generation ? bc : undefined;
  }, 2000);
}

async function brokerPods(): Promise<Json[]> {
  return (await getJson(NS, ['pods', '-l', `${CLUSTER_LABEL},app.kubernetes.io/component=broker`])).items;
}

function podReady(p: Json): boolean {
  return p.status?.phase === 'Running' && !p.metadata.deletionTimestamp
    && (p.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
}

/** Until the name server routes every broker of the cluster (brokers re-register every 30 s after a restart). */
async function waitRegistered(brokers: number): Promise<void> {
  await waitFor(`${brokers} brokers registered with the name server`, 3 * MIN, async (note) => {
    const r = await run(KUBECTL, ['-n', NS, 'exec', client.pod, '--', 'tern', 'admin', 'clusterList', '-n', client.namesrv], { timeoutMs: 30_000 });
    const rows = r.stdout.split('\n').filter((l) => l.startsWith(CLUSTER));
    note(`${rows.length} rows: ${r.stdout.trim().slice(0, 300)} ${r.stderr.trim().slice(0, 200)}`);
    return rows.length >= brokers;
  }, 3000);
}

/**
 * Until every group's master replicates to its slave (haConnectedSlaves >= 1). Ready means the pods are up; a
 * SYNC_MASTER answers SLAVE_NOT_AVAILABLE until its slave has connected, which can be a few seconds later.
 */
async function waitReplicating(groups: number): Promise<void> {
  for (let g = 0; g < groups; g++) {
    const master = `${CLUSTER}-broker-${g}-0-0.${CLUSTER}-broker-${g}.${NS}.svc:10911`;
    await waitFor(`the master of group ${g} to replicate to its slave`, 2 * MIN, async (note) => {
      const r = await run(KUBECTL, ['-n', NS, 'exec', client.pod, '--', 'tern', 'admin', 'brokerStatus', '-n', client.namesrv, '-b', master], { timeoutMs: 30_000 });
      const line = r.stdout.split('\n').find((l) => /\bhaConnectedSlaves\b/.test(l)) ?? '';
      note(line || r.stderr.trim().slice(0, 200));
      return Number(line.trim().split(/\s+/).pop()) >= 1;
    }, 2000);
  }
}

/** A pod running the Tern image that the suite drives `tern produce` / `tern consume` in; /data holds the ack logs. */
async function startClientPod(c: ClientPod): Promise<void> {
  await apply(c.namespace, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: c.pod, labels: { app: 'tern-e2e-client' } },
    spec: {
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 },
      containers: [{
        name: 'client', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', 'infinity'],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  });
  await kubectl(['-n', c.namespace, 'wait', '--for=condition=Ready', `pod/${c.pod}`, '--timeout=120s'], { timeoutMs: 130_000 });
}

async function expectDelivered(label: string, acked: string[], groupSuffix: string): Promise<void> {
  await waitRegistered((await brokerCluster()).spec.brokerGroups.count * 2);
  const d = await consumeAll(client, `e2e-check-${groupSuffix}`, acked);
  progress(`${label}: ${acked.length} acknowledged, ${d.consumed} consumed (${d.distinct} distinct keys in the topic), ${d.missing.length} missing`);
  expect(d.missing.slice(0, 20), `${label}: acknowledged but never consumed`).toEqual([]);
}

async function dumpState(): Promise<void> {
  for (const args of [
    ['get', 'brokercluster,topic,consumergroup,sts,pods,pvc', '-n', NS, '-o', 'wide'],
    ['get', 'events', '-n', NS, '--sort-by=.lastTimestamp'],
    ['logs', '-n', OPERATOR_NS, '-l', 'app.kubernetes.io/name=tern-operator', '--tail=60'],
  ]) {
    const r = await run(KUBECTL, args, { timeoutMs: 30_000 });
    progress(`$ kubectl ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  }
}

/** Deletes what a run made, in an order that lets the operator run the finalizers; bounded at every step. */
async function cleanUp(): Promise<void> {
  if (await getOptional('', 'namespace', NS2)) {
    await run(KUBECTL, ['delete', 'namespace', NS2, '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
  }
  if (await getOptional('', 'namespace', NS)) {
    await run(KUBECTL, ['-n', NS, 'delete', 'topic,consumergroup', '--all', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
    for (const kind of ['topic', 'consumergroup']) {
      // the operator may be gone already: then nothing would ever remove the finalizers
      const left = await run(KUBECTL, ['-n', NS, 'get', kind, '-o', 'name']);
      for (const name of left.stdout.split('\n').filter(Boolean)) {
        await run(KUBECTL, ['-n', NS, 'patch', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      }
    }
    await run(KUBECTL, ['delete', 'namespace', NS, '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
  }
  await run(HELM, ['uninstall', RELEASE, '-n', OPERATOR_NS, '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
  await run(KUBECTL, ['delete', 'namespace', OPERATOR_NS, '--ignore-not-found', '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
}

beforeAll(async () => {
  const version = await run(KUBECTL, ['version', '-o', 'json'], { timeoutMs: 20_000 });
  if (version.code !== 0) throw new Error(`no cluster answers at KUBECONFIG (make cluster-up, or point KUBECONFIG at kind): ${version.stderr.trim()}`);
  progress(`cluster ${JSON.parse(version.stdout).serverVersion?.gitVersion}; images ${IMAGE} -> ${IMAGE_NEXT}, operator ${OPERATOR_IMAGE}`);
  await cleanUp(); // leftovers of an interrupted run
}, 10 * MIN);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  if (failed) await dumpState();
  if (process.env.TERN_E2E_KEEP !== '1') await cleanUp();
}, 10 * MIN);

describe.sequential('Tern on Kubernetes', () => {
  it('installs the operator with Helm, watching two namespaces', async () => {
    const img = splitImage(OPERATOR_IMAGE);
    // The chart's Roles go into the watched namespaces, so they exist first.
    for (const ns of [NS, NS2]) await kubectl(['create', 'namespace', ns]);
    await helm(['install', RELEASE, `${REPO_ROOT}/charts/tern-operator`, '-n', OPERATOR_NS, '--create-namespace',
      '--set', `image.repository=${img.repository}`, '--set', `image.tag=${img.tag}`, '--set', 'image.pullPolicy=IfNotPresent',
      '--set', `watchNamespaces={${NS},${NS2}}`, '--wait', '--timeout', '180s']);
    const deploy = await getJson(OPERATOR_NS, ['deployment', '-l', 'app.kubernetes.io/instance=' + RELEASE]);
    expect(deploy.items[0].status.readyReplicas).toBe(1);
    const crds = await kubectl(['get', 'crd', '-o', 'name']);
    for (const crd of ['brokerclusters.tern.io', 'topics.tern.io', 'consumergroups.tern.io']) expect(crds).toContain(crd);
  });

  it('runs a BrokerCluster of 1 name server and 2 groups of master + slave', async () => {
    await apply(NS, {
      apiVersion: 'tern.io/v1alpha1', kind: 'BrokerCluster', metadata: { name: CLUSTER },
      spec: {
        image: IMAGE, imagePullPolicy: 'IfNotPresent',
        nameServer: { replicas: 1, resources: { requests: { cpu: '50m', memory: '64Mi' } } },
        brokerGroups: {
          count: 2, replicasPerGroup: 2, replication: 'Sync', flushDiskType: 'Async',
          storage: { size: '2Gi' }, resources: { requests: { cpu: '100m', memory: '128Mi' } },
        },
      },
    });
    const t0 = Date.now();
    const bc = await waitClusterReady('first start');
    progress(`BrokerCluster Ready in ${Math.round((Date.now() - t0) / 1000)} s`);
    expect(bc.status.readyBrokers).toBe(4);

    const pods = await brokerPods();
    expect(pods).toHaveLength(4);
    for (const g of [0, 1]) {
      for (const id of [0, 1]) {
        const name = `${CLUSTER}-broker-${g}-${id}-0`;
        const pod = pods.find((p) => p.metadata.name === name);
        expect(pod, name).toBeDefined();
        expect(podReady(pod)).toBe(true);
        expect(pod.metadata.labels['tern.io/broker-id']).toBe(String(id));
        expect(pod.spec.containers[0].image).toBe(IMAGE);
        expect(pod.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/|^docker:\/\//);
        const conf = await kubectl(['-n', NS, 'exec', name, '--', 'cat', `/etc/tern/broker-${id}.conf`]);
        expect(conf).toMatch(new RegExp(`^brokerName=${CLUSTER}-${g}$`, 'm'));
        expect(conf).toMatch(new RegExp(`^brokerId=${id}$`, 'm'));
        expect(conf).toMatch(new RegExp(`^brokerRole=${id === 0 ? 'SYNC_MASTER' : 'SLAVE'}$`, 'm'));
        expect(conf).toMatch(/^flushDiskType=ASYNC_FLUSH$/m);
      }
    }
  });

  it('runs a second BrokerCluster in the second namespace under the same operator', async () => {
    await apply(NS2, {
      apiVersion: 'tern.io/v1alpha1', kind: 'BrokerCluster', metadata: { name: 'second' },
      spec: {
        image: IMAGE, imagePullPolicy: 'IfNotPresent',
        nameServer: { replicas: 1, resources: { requests: { cpu: '20m', memory: '64Mi' } } },
        brokerGroups: {
          count: 1, replicasPerGroup: 1, replication: 'Async', storage: { ephemeral: true },
          resources: { requests: { cpu: '20m', memory: '128Mi' } },
        },
      },
    });
    const t0 = Date.now();
    const bc = await waitFor(`BrokerCluster ${NS2}/second Ready`, 5 * MIN, async (note) => {
      const b = await getJson(NS2, ['brokercluster', 'second']);
      const ready = condition(b, 'Ready');
      note(`phase=${b.status?.phase} Ready=${ready?.status}/${ready?.reason}: ${ready?.message ?? ''}`);
      return ready?.status === 'True' ? b : undefined;
    }, 2000);
    progress(`second BrokerCluster (${NS2}) Ready in ${Math.round((Date.now() - t0) / 1000)} s`);
    expect(bc.status.readyBrokers).toBe(1);
    expect(condition(await brokerCluster(), 'Ready')?.status).toBe('True');
    await kubectl(['-n', NS2, 'delete', 'brokercluster', 'second', '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
  });

  it('sends 10,000 messages from a client pod and consumes them all', async () => {
    await apply(NS, { apiVersion: 'tern.io/v1alpha1', kind: 'Topic', metadata: { name: TOPIC }, spec: { clusterRef: { name: CLUSTER }, readQueueNums: 8, writeQueueNums: 8 } });
    await apply(NS, { apiVersion: 'tern.io/v1alpha1', kind: 'ConsumerGroup', metadata: { name: DRAIN_GROUP }, spec: { clusterRef: { name: CLUSTER } } });
    await waitFor(`Topic ${TOPIC} Ready on both groups`, 2 * MIN, async (note) => {
      const t = await getJson(NS, ['topic', TOPIC]);
      note(JSON.stringify(t.status ?? {}));
      return condition(t, 'Ready')?.status === 'True' && (t.status.brokers ?? []).length === 2;
    });
    const bc = await brokerCluster();
    client = { namespace: NS, pod: 'e2e-client', namesrv: bc.status.nameServerAddress, topic: TOPIC };
    await startClientPod(client);
    await waitRegistered(4);
    await waitReplicating(2);

    const t0 = Date.now();
    const sent = await produce(client, 'base', ['--count', '10000', '--async', '--size', '256']);
    progress(`10,000 sent in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${sent.run.stdout.trim().split('\n').slice(-1)[0]}`);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    expect(sent.acked).toHaveLength(10_000);
    expect(new Set(sent.acked).size).toBe(10_000);
    const d = await consumeAll(client, 'e2e-check-base', sent.acked);
    expect(d.missing).toEqual([]);
    expect(d.distinct).toBe(10_000);
  });

  it('loses no acknowledged message when a master pod is deleted under traffic', async () => {
    const master = `${CLUSTER}-broker-0-0-0`;
    const before = (await getJson(NS, ['pod', master])).metadata.uid;
    const traffic = new Traffic(client, 'kill');
    await new Promise((r) => setTimeout(r, 8000));
    progress(`deleting ${master} under traffic`);
    await kubectl(['-n', NS, 'delete', 'pod', master, '--wait=false']);
    await waitFor(`${master} to come back`, 3 * MIN, async (note) => {
      const p = await getOptional(NS, 'pod', master);
      note(p ? `uid ${p.metadata.uid} ready=${podReady(p)}` : 'absent');
      return p && p.metadata.uid !== before && podReady(p);
    });
    const back = Date.now();
    await waitClusterReady('after the master came back');
    await waitReplicating(2); // Ready is about pods; a SYNC_MASTER acks again only once its slave is back
    progress(`${master} replicates again ${Math.round((Date.now() - back) / 1000)} s after it was Ready`);
    await new Promise((r) => setTimeout(r, 5000)); // traffic on the restarted master too
    const { acked } = await traffic.stop();
    progress(`master restart: ${traffic.describe()}`);
    expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKED.masterDeleted);
    await expectDelivered('master restart', acked, 'kill');
  });

  it('loses no acknowledged message when a master process is killed (SIGKILL) under traffic', async () => {
    const master = `${CLUSTER}-broker-1-0-0`;
    const before = await getJson(NS, ['pod', master]);
    const restartsBefore = before.status.containerStatuses[0].restartCount;
    await waitReplicating(2); // start from both groups replicating, so the acks before the crash count
    const traffic = new Traffic(client, 'crash');
    await new Promise((r) => setTimeout(r, 8000));
    progress(`SIGKILL to the broker process of ${master} under traffic`);
    await killContainer(before);
    // a crash restarts the container in the same pod: same uid, one more restart
    await waitFor(`${master} to restart its container`, 3 * MIN, async (note) => {
      const p = await getJson(NS, ['pod', master]);
      const restarts = p.status?.containerStatuses?.[0]?.restartCount ?? 0;
      note(`uid ${p.metadata.uid} restarts ${restarts} ready=${podReady(p)}`);
      if (p.metadata.uid !== before.metadata.uid) throw new Error(`${master} was replaced (uid ${p.metadata.uid}), not restarted`);
      return restarts > restartsBefore && podReady(p);
    }, 1000);
    const restarted = Date.now();
    await waitClusterReady('after the master crashed');
    // Ready can be the status written before the crash; replication back is what a SYNC_MASTER needs to ack again
    await waitReplicating(2);
    progress(`${master} replicates again ${Math.round((Date.now() - restarted) / 1000)} s after its container restarted`);
    await new Promise((r) => setTimeout(r, 5000)); // traffic on the restarted master too
    const { acked } = await traffic.stop();
    progress(`master crash: ${traffic.describe()}`);
    expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKED.masterCrashed);
    await expectDelivered('master crash', acked, 'crash');
  });

  it('rolls a new image under traffic: slaves first, then masters, nothing lost', async () => {
    const seen = new Map<string, { uid: string; image: string; ready: boolean; t: number }[]>();
    const conditionsSeen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [pods, bc] = await Promise.all([brokerPods().catch(() => []), brokerCluster().catch(() => undefined)]);
        const t = Date.now();
        for (const p of pods) {
          const list = seen.get(p.metadata.name) ?? [];
          const last = list[list.length - 1];
          const now = { uid: p.metadata.uid, image: p.spec.containers[0].image, ready: podReady(p), t };
          if (!last || last.uid !== now.uid || last.ready !== now.ready) list.push(now);
          seen.set(p.metadata.name, list);
        }
        const c = bc && `${condition(bc, 'Progressing')?.status}/${condition(bc, 'Ready')?.status}`;
        if (c && conditionsSeen[conditionsSeen.length - 1] !== c) conditionsSeen.push(c);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    const traffic = new Traffic(client, 'roll');
    await new Promise((r) => setTimeout(r, 5000));
    const t0 = Date.now();
    await kubectl(['-n', NS, 'patch', 'brokercluster', CLUSTER, '--type=merge', '-p', JSON.stringify({ spec: { image: IMAGE_NEXT } })]);
    await waitFor('every broker pod on the new image', 10 * MIN, async (note) => {
      const pods = await brokerPods();
      const onNew = pods.filter((p) => p.spec.containers[0].image === IMAGE_NEXT && podReady(p));
      note(`${onNew.length}/4 on ${IMAGE_NEXT}: ${pods.map((p) => `${p.metadata.name}=${p.spec.containers[0].image.split(':').pop()}${podReady(p) ? '' : '(not ready)'}`).join(' ')}`);
      return onNew.length === 4;
    }, 2000);
    await waitClusterReady('after the roll');
    progress(`roll done in ${Math.round((Date.now() - t0) / 1000)} s; conditions Progressing/Ready seen: ${conditionsSeen.join(' -> ')}`);
    const rolled = Date.now();
    await waitReplicating(2);
    progress(`both masters replicate again ${Math.round((Date.now() - rolled) / 1000)} s after the roll`);
    await new Promise((r) => setTimeout(r, 5000));
    watching = false;
    await watcher;
    const { acked } = await traffic.stop();
    progress(`roll: ${traffic.describe()}`);
    expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKED.roll);

    // the master of each group was replaced only after its slave was back, Ready, on the new image
    for (const g of [0, 1]) {
      const slave = seen.get(`${CLUSTER}-broker-${g}-1-0`) ?? [];
      const master = seen.get(`${CLUSTER}-broker-${g}-0-0`) ?? [];
      const slaveReadyNew = slave.find((s) => s.image === IMAGE_NEXT && s.ready)?.t;
      const masterFirst = master[0]!;
      const masterNew = master.find((s) => s.uid !== masterFirst.uid)?.t;
      expect(slaveReadyNew, `group ${g}: slave never Ready on the new image`).toBeDefined();
      expect(masterNew, `group ${g}: master never replaced`).toBeDefined();
      expect(masterNew!, `group ${g}: master replaced before its slave was Ready on the new image`).toBeGreaterThanOrEqual(slaveReadyNew!);
    }
    expect(conditionsSeen).toContain('True/False');
    expect(conditionsSeen[conditionsSeen.length - 1]).toBe('False/True');
    const bc = await brokerCluster();
    expect(condition(bc, 'Progressing')?.status).toBe('False');
    await expectDelivered('image roll', acked, 'roll');
  });

  it('scales to 3 groups, then back to 2 with drain', async () => {
    await kubectl(['-n', NS, 'patch', 'brokercluster', CLUSTER, '--type=merge', '-p', '{"spec":{"brokerGroups":{"count":3}}}']);
    await waitFor('6 broker pods Ready', 5 * MIN, async (note) => {
      const pods = await brokerPods();
      note(pods.map((p) => `${p.metadata.name}:${podReady(p)}`).join(' '));
      return pods.filter(podReady).length === 6;
    }, 2000);
    // Scale-out time: from the new group turning Running (writable) to the name server routing the Topic to it.
    const groupRunning = await waitFor('group 2 Running', 5 * MIN, async (note) => {
      const g2 = ((await brokerCluster()).status?.brokerGroups ?? []).find((g: Json) => g.index === 2);
      note(`group 2 ${g2?.phase} ${g2?.message ?? ''}`);
      return g2?.phase === 'Running' ? Date.now() : undefined;
    }, 500);
    const routed = await waitFor(`Topic ${TOPIC} routed to ${CLUSTER}-2`, 2 * MIN, async (note) => {
      const r = await run(KUBECTL, ['-n', NS, 'exec', client.pod, '--', 'tern', 'admin', 'topicRoute', '-n', client.namesrv, '-t', TOPIC, '--json'], { timeoutMs: 30_000 });
      const names = r.code === 0 ? (JSON.parse(r.stdout).queueDatas as Json[]).map((q) => q.brokerName) : [];
      note(names.join(',') || r.stderr.trim().slice(0, 200));
      return names.includes(`${CLUSTER}-2`) ? Date.now() : undefined;
    }, 250);
    const scaleOutMs = routed - groupRunning;
    progress(`scale-out: ${TOPIC} routed to the new group ${(scaleOutMs / 1000).toFixed(1)} s after it turned Running`);
    expect(scaleOutMs, 'a new group is routed for every Topic within 10 s of being Ready').toBeLessThan(10_000);
    await waitClusterReady('3 groups');
    progress('3 groups Ready');
    await waitFor(`Topic ${TOPIC} on 3 groups`, 2 * MIN, async (note) => {
      const t = await getJson(NS, ['topic', TOPIC]);
      note(JSON.stringify(t.status?.brokers));
      return (t.status?.brokers ?? []).length === 3;
    });
    await waitRegistered(6);
    await waitReplicating(3);
    const sent = await produce(client, 'scale', ['--count', '3000', '--async']);
    expect(sent.run.code, sent.run.stderr).toBe(0);
    expect(sent.acked).toHaveLength(3000);
    // the drain waits for every ConsumerGroup resource to have read everything on the groups going away
    const d = await consumeAll(client, DRAIN_GROUP, sent.acked);
    expect(d.missing).toEqual([]);
    progress(`3 groups: ${sent.acked.length} sent and read by ${DRAIN_GROUP}; scaling to 2`);
    const t0 = Date.now();

    const phases: string[] = [];
    await kubectl(['-n', NS, 'patch', 'brokercluster', CLUSTER, '--type=merge', '-p', '{"spec":{"brokerGroups":{"count":2}}}']);
    await waitFor('group 2 drained and its StatefulSets deleted', 5 * MIN, async (note) => {
      const bc = await brokerCluster();
      const g2 = (bc.status?.brokerGroups ?? []).find((g: Json) => g.index === 2);
      if (g2 && phases[phases.length - 1] !== g2.phase) phases.push(g2.phase);
      const sts = (await getJson(NS, ['sts', '-l', `${CLUSTER_LABEL},tern.io/broker-group=2`])).items;
      note(`group 2 ${g2 ? `${g2.phase} ${g2.message ?? ''}` : 'gone from status'}, ${sts.length} StatefulSets`);
      return !g2 && sts.length === 0;
    }, 2000);
    progress(`group 2 went through ${phases.join(' -> ')} and was removed in ${Math.round((Date.now() - t0) / 1000)} s`);
    expect(phases).toContain('Draining');
    await waitClusterReady('back to 2 groups');
    // PVCs are kept when a group is scaled away (persistentVolumeClaimRetentionPolicy whenScaled: Retain)
    const pvcs = (await getJson(NS, ['pvc', '-l', `${CLUSTER_LABEL},tern.io/broker-group=2`])).items;
    expect(pvcs.map((p: Json) => p.metadata.name).sort()).toEqual([`store-${CLUSTER}-broker-2-0-0`, `store-${CLUSTER}-broker-2-1-0`]);
  });

  it('deletes the BrokerCluster and everything it owns; PVCs are kept', async () => {
    await kubectl(['-n', NS, 'delete', 'pod', client.pod, '--wait=true', '--timeout=60s']);
    await kubectl(['-n', NS, 'delete', 'topic', TOPIC, '--wait=true', '--timeout=90s'], { timeoutMs: 100_000 });
    await kubectl(['-n', NS, 'delete', 'consumergroup', DRAIN_GROUP, '--wait=true', '--timeout=90s'], { timeoutMs: 100_000 });
    await kubectl(['-n', NS, 'delete', 'brokercluster', CLUSTER, '--wait=true', '--timeout=180s'], { timeoutMs: 200_000 });
    await waitFor('every object of the cluster gone', 3 * MIN, async (note) => {
      const left = await kubectl(['-n', NS, 'get', 'sts,svc,cm,pdb,pods', '-l', CLUSTER_LABEL, '-o', 'name']);
      note(left.trim().replace(/\n/g, ' '));
      return left.trim() === '';
    }, 2000);
    // documented policy: PVCs outlive the cluster (whenDeleted: Retain); delete them to free the volumes
    const pvcs = (await getJson(NS, ['pvc', '-l', CLUSTER_LABEL])).items;
    expect(pvcs).toHaveLength(6);
    await kubectl(['-n', NS, 'delete', 'pvc', '-l', CLUSTER_LABEL, '--wait=true', '--timeout=60s']);
  });

  it('Raft mode: a group of 3 members loses no acknowledged message when its leader crashes (SIGKILL) under traffic', async () => {
    const raft = 'raft';
    const bcRaft = () => getJson(NS2, ['brokercluster', raft]);
    await apply(NS2, {
      apiVersion: 'tern.io/v1alpha1', kind: 'BrokerCluster', metadata: { name: raft },
      spec: {
        image: IMAGE, imagePullPolicy: 'IfNotPresent',
        nameServer: { replicas: 1, resources: { requests: { cpu: '20m', memory: '64Mi' } } },
        brokerGroups: { mode: 'Raft', count: 1, replicasPerGroup: 3, storage: { ephemeral: true }, resources: { requests: { cpu: '50m', memory: '128Mi' } } },
      },
    });
    const t0 = Date.now();
    const ready = (what: string, accept: (b: Json) => boolean = () => true) => waitFor(`BrokerCluster ${NS2}/${raft} Ready (${what})`, 5 * MIN, async (note) => {
      const b = await bcRaft();
      const r = condition(b, 'Ready');
      const g = b.status?.brokerGroups?.[0];
      note(`phase=${b.status?.phase} Ready=${r?.status}/${r?.reason}: ${r?.message ?? ''} leader=${g?.leader} members=${JSON.stringify(g?.members ?? [])}`);
      return r?.status === 'True' && b.status?.observedGeneration === b.metadata.generation && accept(b) ? b : undefined;
    }, 2000);
    const bc = await ready('first start');
    progress(`Raft BrokerCluster Ready in ${Math.round((Date.now() - t0) / 1000)} s`);
    const group = bc.status.brokerGroups[0];
    expect(group.members.map((m: Json) => m.member)).toEqual(['n0', 'n1', 'n2']);
    expect(group.members.filter((m: Json) => m.role === 'leader').map((m: Json) => m.member)).toEqual([group.leader]);
    for (const k of [0, 1, 2]) {
      const conf = await kubectl(['-n', NS2, 'exec', `${raft}-broker-0-${k}`, '--', 'cat', `/etc/tern/broker-${k}.conf`]);
      expect(conf).toMatch(new RegExp(`^dLegerSelfId=n${k}$`, 'm'));
      expect(conf).toMatch(/^enableDLegerCommitLog=true$/m);
    }

    await apply(NS2, { apiVersion: 'tern.io/v1alpha1', kind: 'Topic', metadata: { name: 'raft-orders' }, spec: { clusterRef: { name: raft }, readQueueNums: 4, writeQueueNums: 4 } });
    await waitFor('Topic raft-orders Ready', 2 * MIN, async () => condition(await getJson(NS2, ['topic', 'raft-orders']), 'Ready')?.status === 'True');
    const raftClient: ClientPod = { namespace: NS2, pod: 'raft-client', namesrv: bc.status.nameServerAddress, topic: 'raft-orders' };
    await startClientPod(raftClient);

    // The ack count every 50 ms, timed inside the client pod (same clock as here on one node): when writes resumed.
    const timeline = execInBackground(NS2, raftClient.pod, ['sh', '-c',
      'i=0; while [ ! -f /data/timeline.stop ] && [ $i -lt 12000 ]; do echo "$(date +%s%3N) $(cat /data/raft-*.acks 2>/dev/null | wc -l)"; sleep 0.05; i=$((i+1)); done > /data/timeline.log']);
    const traffic = new Traffic(raftClient, 'raft');
    await new Promise((r) => setTimeout(r, 8000));
    const oldLeader = (await bcRaft()).status.brokerGroups[0];
    const leaderPod = await getJson(NS2, ['pod', oldLeader.leaderPod]);
    progress(`SIGKILL to the Raft leader ${oldLeader.leader} (pod ${oldLeader.leaderPod}) under traffic`);
    const killedAt = Date.now();
    await killContainer(leaderPod);
    const after = await ready('a new leader after the crash', (b) => {
      const g = b.status?.brokerGroups?.[0];
      return !!g?.leader && g.leader !== oldLeader.leader;
    });
    progress(`new leader ${after.status.brokerGroups[0].leader} shown in status ${Math.round((Date.now() - killedAt) / 1000)} s after the crash`);
    await waitFor(`${oldLeader.leaderPod} to restart its container and rejoin`, 3 * MIN, async (note) => {
      const b = await bcRaft();
      const m = (b.status?.brokerGroups?.[0]?.members ?? []).find((x: Json) => x.member === oldLeader.leader);
      const p = await getJson(NS2, ['pod', oldLeader.leaderPod]);
      note(`restarts ${p.status?.containerStatuses?.[0]?.restartCount} ready=${podReady(p)} member=${JSON.stringify(m)}`);
      return podReady(p) && p.metadata.uid === leaderPod.metadata.uid && m?.role === 'follower';
    }, 2000);
    await new Promise((r) => setTimeout(r, 5000)); // traffic with the old leader back as a follower
    const { acked } = await traffic.stop();
    await kubectl(['-n', NS2, 'exec', raftClient.pod, '--', 'touch', '/data/timeline.stop']);
    await timeline.done;
    const timelineText = await kubectl(['-n', NS2, 'exec', raftClient.pod, '--', 'cat', '/data/timeline.log']);
    const gap = longestAckGap(timelineText, killedAt);
    progress(`Raft leader crash: ${traffic.describe()}; writes stalled ${gap ? `${gap.firstAfter - gap.lastBefore} ms (last ack `
      + `${gap.lastBefore - killedAt} ms, first ack again ${gap.firstAfter - killedAt} ms after the kill command)` : 'never'}`);
    expect(gap, 'writes resumed after the leader crash').toBeDefined();
    expect(gap!.acksAfter, 'acks after writes resumed').toBeGreaterThan(100);
    expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKED.raftLeaderCrashed);
    const d = await consumeAll(raftClient, 'raft-check', acked);
    progress(`Raft leader crash: ${acked.length} acknowledged, ${d.consumed} consumed (${d.distinct} distinct keys), ${d.missing.length} missing`);
    expect(d.missing.slice(0, 20), 'acknowledged but never consumed').toEqual([]);
    await kubectl(['-n', NS2, 'delete', 'pod', raftClient.pod, '--wait=true', '--timeout=60s']);
    await kubectl(['-n', NS2, 'delete', 'topic', 'raft-orders', '--wait=true', '--timeout=90s'], { timeoutMs: 100_000 });
    await kubectl(['-n', NS2, 'delete', 'brokercluster', raft, '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
  });
});
