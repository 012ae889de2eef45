import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ClientError, Perm, ResponseCode } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: `127.0.0.1:1;${cluster.namesrvAddr}` }); // the first name server is down
});

afterAll(async () => {
  await admin?.shutdown();
  await cluster?.stop();
});

describe('Admin', () => {
  it('creates, describes and deletes a topic on a cluster', async () => {
    const brokers = await admin.createTopic('admin-made', { clusterName: 'DefaultCluster', readQueueNums: 3, writeQueueNums: 5, perm: Perm.READ | Perm.WRITE });
    expect(brokers).toEqual([cluster.brokerAddr]);
    const route = await waitFor('a route for admin-made', () => admin.topicRoute('admin-made'));
    expect(route.queueDatas).toEqual([{ brokerName: 'broker-a', readQueueNums: 3, writeQueueNums: 5, perm: 6, topicSysFlag: 0 }]);
    expect(route.brokerDatas[0]!.brokerAddrs['0']).toBe(cluster.brokerAddr);
    expect(await admin.topicList()).toContain('admin-made');
    const status = await admin.topicStatus('admin-made');
    expect(status.map((q) => [q.queueId, q.minOffset, q.maxOffset])).toEqual([[0, 0, 0], [1, 0, 0], [2, 0, 0]]);

    await admin.deleteTopic('admin-made', { clusterName: 'DefaultCluster' });
    await expect(admin.topicRoute('admin-made')).rejects.toMatchObject({ name: 'ClientError', responseCode: ResponseCode.TOPIC_NOT_EXIST });
    expect(await admin.topicList()).not.toContain('admin-made');
  });

  it('lists the cluster with runtime figures', async () => {
    const rows = await admin.clusterList();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cluster: 'DefaultCluster', brokerName: 'broker-a', brokerId: 0, address: cluster.brokerAddr });
    expect(rows[0]!.error).toBeUndefined();
    expect(rows[0]!.version).not.toBe('');
    const info = await admin.brokerRuntimeInfo(cluster.brokerAddr);
    expect(Object.keys(info).length).toBeGreaterThan(3);
  });

  it('says which cluster names exist when given a wrong one', async () => {
    const err = await admin.createTopic('x', { clusterName: 'Nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as Error).message).toBe('cluster Nope not found (known: DefaultCluster)');
  });
});
