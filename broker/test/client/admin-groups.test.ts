import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

let cluster: LocalCluster;
let admin: Admin;
beforeAll(async () => {
  cluster = await startLocalCluster({ registerNameServerPeriod: 1000 });
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
});
afterAll(async () => {
  await admin.shutdown();
  await cluster.stop();
});

describe('Admin: consumer groups and run-time broker config', () => {
  it('creates, lists and deletes a subscription group', async () => {
    await admin.createSubscriptionGroup(cluster.brokerAddr, { groupName: 'billing', retryMaxTimes: 3, consumeBroadcastEnable: false });
    const groups = await admin.subscriptionGroups(cluster.brokerAddr);
    expect(groups.find((g) => g.groupName === 'billing')).toMatchObject({ retryMaxTimes: 3, consumeBroadcastEnable: false, consumeEnable: true });
    await admin.deleteSubscriptionGroup(cluster.brokerAddr, 'billing');
    expect((await admin.subscriptionGroups(cluster.brokerAddr)).some((g) => g.groupName === 'billing')).toBe(false);
  });

  it('turns writes off and on at run time; the route follows', async () => {
    await admin.createTopic('drain-me', { brokerAddr: cluster.brokerAddr, readQueueNums: 2, writeQueueNums: 2 });
    const perm = async () => (await admin.topicRoute('drain-me').catch(() => undefined))?.queueDatas[0]?.perm;
    for (let i = 0; i < 100 && (await perm()) !== 6; i++) await new Promise((r) => setTimeout(r, 50));
    await admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 4 });
    for (let i = 0; i < 100 && (await perm()) !== 4; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await perm()).toBe(4);
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'drain-p', retryTimesWhenSendFailed: 0 });
    await producer.start();
    await expect(producer.send({ topic: 'drain-me', body: Buffer.from('x') }, { queue: { topic: 'drain-me', brokerName: 'broker-a', queueId: 0 } })).rejects.toThrow();
    await admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 6 });
    for (let i = 0; i < 100 && (await perm()) !== 6; i++) await new Promise((r) => setTimeout(r, 50));
    // The producer's cached route still says read-only; it looks again (at most once a second) when nothing is writable.
    let status: string | undefined;
    for (let i = 0; i < 30 && status !== 'SEND_OK'; i++) {
      status = await producer.send({ topic: 'drain-me', body: Buffer.from('x') }).then((r) => r.status, () => undefined);
      if (status !== 'SEND_OK') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('SEND_OK');
    await producer.shutdown();
    await expect(admin.updateBrokerConfig(cluster.brokerAddr, { listenPort: 1 })).rejects.toThrow(/cannot change listenPort at run time/);
  });

  it('refuses a run-time value its key\'s check forbids, naming the key, and keeps the old one', async () => {
    await expect(admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 9 })).rejects.toThrow(/brokerPermission must be within 0\.\.7/);
    await expect(admin.updateBrokerConfig(cluster.brokerAddr, { accessMessageInMemoryMaxRatio: 101 }))
      .rejects.toThrow(/accessMessageInMemoryMaxRatio must be within 0\.\.100/);
    expect([cluster.broker.config.brokerPermission, cluster.broker.config.accessMessageInMemoryMaxRatio]).toEqual([6, 40]);
  });
});
