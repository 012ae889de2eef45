/**
 * The operator running a Raft BrokerCluster against a real kube-apiserver, with three real DLedger-mode brokers in
 * this process as the pods' stand-ins (a deleted pod's broker is stopped and started again on its store, as the
 * kubelet would): status shows the leader and every member, Ready follows the group's writability, Topics land on
 * the current leader, and a spec change rolls followers first and the leader last after a handoff.
 */
import type { CoreV1Event, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../../broker/src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../../broker/src/broker/broker-config.ts';
import { createLogger } from '../../../broker/src/logging/logger.ts';
import { freePort } from '../../../broker/src/harness/free-port.ts';
import { tempDir } from '../../../broker/src/harness/temp-dir.ts';
import { waitFor } from '../../../broker/src/harness/wait-for.ts';
import { NamesrvController } from '../../../broker/src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../../../broker/src/namesrv/namesrv-config.ts';
import { Admin, Producer } from '@tern/broker/client';
import type { AddressResolver } from '../../src/admin/broker-admin.ts';
import type { BrokerCluster } from '../../src/api/broker-cluster.ts';
import { findCondition } from '../../src/api/conditions.ts';
import { API_VERSION } from '../../src/api/group.ts';
import type { Topic } from '../../src/api/topic.ts';
import { Operator } from '../../src/operator.ts';
import { startControlPlane, REPO_ROOT, type ControlPlane } from '../support/control-plane.ts';
import { FakeKubelet } from '../support/fake-kubelet.ts';

const NS = 'tern-raft';
const CLUSTER = 'raft';
const GROUP = `${CLUSTER}-0`;

let cp: ControlPlane;
let kubelet: FakeKubelet;
let operator: Operator;
let namesrv: NamesrvController;
let admin: Admin;
const members: Array<{ config: BrokerConfig; broker: BrokerController | undefined }> = [];
let restarter: NodeJS.Timeout | undefined;

const bcGet = () => cp.client.get<BrokerCluster>(API_VERSION, 'BrokerCluster', NS, CLUSTER);
const events = async (reason: string) => ((await cp.client.core.listNamespacedEvent({ namespace: NS })).items as CoreV1Event[])
  .filter((e) => e.reason === reason).map((e) => e.message!);

async function startMember(k: number): Promise<void> {
  const broker = new BrokerController(members[k]!.config, createLogger(`n${k}`));
  await broker.start();
  members[k]!.broker = broker;
}

/** The member the name servers route as brokerId 0 of the group. */
async function routedLeader(): Promise<number | undefined> {
  const addr = (await admin.clusterInfo()).brokerAddrTable[GROUP]?.brokerAddrs['0'];
  const k = members.findIndex((m) => addr === `127.0.0.1:${m.config.listenPort}`);
  return k >= 0 ? k : undefined;
}

async function waitReady(generation?: number, timeoutMs = 60_000): Promise<BrokerCluster> {
  return waitFor('BrokerCluster Ready', async (note) => {
    const bc = await bcGet();
    const ready = findCondition(bc?.status?.conditions, 'Ready');
    const progressing = findCondition(bc?.status?.conditions, 'Progressing');
    note(`Ready ${ready?.status}/${ready?.reason}: ${ready?.message}; Progressing ${progressing?.reason}: ${progressing?.message}`);
    if (ready?.status !== 'True' || progressing?.status !== 'False') return undefined;
    if (generation !== undefined && bc!.status!.observedGeneration !== generation) return undefined;
    return bc;
  }, timeoutMs, 200);
}

beforeAll(async () => {
  cp = await startControlPlane();
  process.env.KUBECONFIG = cp.kubeconfigPath;
  namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1' }, createLogger('namesrv'));
  await namesrv.start();
  const namesrvAddr = `127.0.0.1:${namesrv.port}`;
  const raftPorts = [await freePort(), await freePort(), await freePort()];
  const peers = raftPorts.map((p, k) => `n${k}-127.0.0.1:${p}`).join(';');
  for (let k = 0; k < 3; k++) {
    members.push({
      broker: undefined,
      config: {
        ...defaultBrokerConfig(), brokerClusterName: CLUSTER, brokerName: GROUP, brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
        listenPort: await freePort(), namesrvAddr, storePathRootDir: tempDir(), mappedFileSizeCommitLog: 16 * 1024 * 1024,
        enableDLegerCommitLog: true, dLegerGroup: GROUP, dLegerPeers: peers, dLegerSelfId: `n${k}`,
      },
    });
  }
  await Promise.all([0, 1, 2].map(startMember));
  admin = new Admin({ namesrvAddr });
  const resolver: AddressResolver = { namesrv: () => namesrvAddr, broker: (_c, _s, _g, id) => `127.0.0.1:${members[id]!.config.listenPort}` };
  await cp.kubectl(['apply', '--server-side', '-f', `${REPO_ROOT}/crds/`]);
  await waitFor('CRDs served', async () => (await cp.kubectl(['get', 'brokerclusters', '-A']).then(() => true, () => false)), 30_000);
  await cp.kubectl(['create', 'namespace', NS]);
  kubelet = new FakeKubelet(cp.client, NS);
  await kubelet.start();
  // What the kubelet would do to a deleted broker pod: its process stops (SIGTERM) and a new one starts on the same volume.
  const seen = new Set<string>();
  const restartDeleted = async () => {
    for (const d of [...kubelet.deletions]) {
      const m = /^raft-broker-0-(\d)@/.exec(d);
      if (seen.has(d) || !m) continue;
      seen.add(d);
      const k = Number(m[1]);
      await members[k]!.broker?.shutdown();
      await startMember(k);
    }
    restarter = setTimeout(() => void restartDeleted(), 100);
  };
  void restartDeleted();
  operator = new Operator({ client: cp.client, namespaces: [NS], resolver, pollMs: 300, resyncMs: 1000, ...(process.env.TERN_OPERATOR_LOG ? {} : { log: () => {} }) });
  await operator.start();
}, 300_000);

afterAll(async () => {
  clearTimeout(restarter);
  operator?.stop();
  kubelet?.stop();
  await admin?.shutdown().catch(() => {});
  for (const m of members) await m.broker?.shutdown().catch(() => {});
  await namesrv?.shutdown().catch(() => {});
  await cp?.stop();
});

describe('a Raft BrokerCluster', () => {
  it('gets one StatefulSet of 3 members and is Ready once its leader is routed; status names the leader and every member', async () => {
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'BrokerCluster', metadata: { name: CLUSTER, namespace: NS },
      spec: { image: 'docker.io/local/tern:test', nameServer: { replicas: 1 }, brokerGroups: { mode: 'Raft', replicasPerGroup: 3 } },
    }));
    const bc = await waitReady(1);
    const sts = await cp.client.get<V1StatefulSet>('apps/v1', 'StatefulSet', NS, 'raft-broker-0');
    expect(sts!.spec!.replicas).toBe(3);
    const pods = ((await cp.client.core.listNamespacedPod({ namespace: NS })).items as V1Pod[]).map((p) => p.metadata!.name).sort();
    expect(pods).toEqual(['raft-broker-0-0', 'raft-broker-0-1', 'raft-broker-0-2', 'raft-namesrv-0']);
    const leader = (await routedLeader())!;
    const group = bc.status!.brokerGroups![0]!;
    expect(group).toMatchObject({ brokerName: GROUP, phase: 'Running', readyReplicas: 3, leader: `n${leader}`, leaderPod: `raft-broker-0-${leader}` });
    expect(group.members!.map((m) => [m.member, m.pod, m.role])).toEqual([0, 1, 2].map((k) => [`n${k}`, `raft-broker-0-${k}`, k === leader ? 'leader' : 'follower']));
    for (const m of group.members!) {
      expect(m.term).toBeGreaterThan(0);
      expect(m.commitIndex).toBeGreaterThan(0);
      expect(m.appliedIndex).toBeGreaterThan(0);
    }
    expect(findCondition(bc.status!.conditions, 'Ready')!.message).toMatch(/3 brokers in 1 groups/);
  });

  it('is not Ready while a majority of members is down, and says so; Ready again once they are back', async () => {
    const leader = (await routedLeader())!;
    const down = [0, 1, 2].filter((k) => k !== leader);
    for (const k of down) await members[k]!.broker!.shutdown(); // the pods still look Ready to Kubernetes
    const c = await waitFor('Ready=False WaitingForRaftLeader', async () => {
      const x = findCondition((await bcGet())?.status?.conditions, 'Ready');
      return x?.status === 'False' && x.reason === 'WaitingForRaftLeader' ? x : undefined;
    }, 30_000);
    expect(c.message).toMatch(new RegExp(`^group ${GROUP} has 1 of 3 Raft members up, 2 needed for a majority`));
    await Promise.all(down.map(startMember));
    await waitReady();
  });

  it('creates a Topic on the group\'s current leader, also after leadership moved', async () => {
    const apply = (name: string) => cp.kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: API_VERSION, kind: 'Topic', metadata: { name, namespace: NS }, spec: { clusterRef: { name: CLUSTER }, writeQueueNums: 4, readQueueNums: 4 },
    }));
    const topicReady = (name: string) => waitFor(`Topic ${name} Ready`, async () =>
      findCondition((await cp.client.get<Topic>(API_VERSION, 'Topic', NS, name))?.status?.conditions, 'Ready')?.status === 'True', 30_000);
    await apply('raft-orders');
    await topicReady('raft-orders');
    const before = (await routedLeader())!;
    await admin.transferRaftLeadership(`127.0.0.1:${members[before]!.config.listenPort}`);
    const after = await waitFor('a new leader routed', async () => {
      const k = await routedLeader();
      return k !== undefined && k !== before ? k : undefined;
    }, 15_000, 100);
    await apply('raft-payments');
    await topicReady('raft-payments');
    for (const topic of ['raft-orders', 'raft-payments']) {
      const route = await admin.topicRoute(topic);
      expect(route.queueDatas.map((q) => [q.brokerName, q.writeQueueNums])).toEqual([[GROUP, 4]]);
    }
    expect((await admin.brokerRuntimeInfo(`127.0.0.1:${members[after]!.config.listenPort}`)).dLegerRole).toBe('leader');
  });

  it('rolls a spec change followers first (highest ordinal first), the leader last after a handoff; a producer fails no send', async () => {
    const leader = (await routedLeader())!;
    const followers = [0, 1, 2].filter((k) => k !== leader).sort((a, b) => b - a);
    const uids = Object.fromEntries(((await cp.client.core.listNamespacedPod({ namespace: NS })).items as V1Pod[]).map((p) => [p.metadata!.name!, p.metadata!.uid!]));
    kubelet.deletions.length = 0;
    const producer = new Producer({ namesrvAddr: `127.0.0.1:${namesrv.port}`, group: 'raft-roll' });
    await producer.start();
    let sent = 0;
    let failed = 0;
    let sending = true;
    const loop = (async () => {
      while (sending) {
        await producer.send({ topic: 'raft-orders', body: Buffer.from(`m${sent}`) }).then(() => sent++, () => failed++);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await cp.kubectl(['patch', 'brokercluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { brokerGroups: { config: { maxMessageSize: '1048576' } } } })]);
      const bc = await waitReady(2, 120_000);
      expect(kubelet.deletions.filter((d) => d.startsWith('raft-broker-'))).toEqual([...followers, leader].map((k) => `raft-broker-0-${k}@${uids[`raft-broker-0-${k}`]}`));
      const transfers = await events('TransferringLeadership');
      expect(transfers.some((m) => m.startsWith(`Leader n${leader} of ${GROUP} (pod raft-broker-0-${leader}) hands leadership to a caught-up follower`))).toBe(true);
      const restarts = await events('RollingBroker');
      for (const k of [...followers, leader]) expect(restarts.some((m) => m.startsWith(`Restarting Raft follower n${k} of ${GROUP}`)), `n${k}`).toBe(true);
      expect(bc.status!.brokerGroups![0]!.leader).not.toBe(`n${leader}`);
      expect(bc.status!.brokerGroups![0]!.updatedReplicas).toBe(3);
    } finally {
      sending = false;
      await loop;
      await producer.shutdown();
    }
    process.stdout.write(`roll under traffic: ${sent} sends acknowledged, ${failed} failed\n`);
    expect(sent).toBeGreaterThan(50);
    expect(failed).toBe(0);
  });
});
