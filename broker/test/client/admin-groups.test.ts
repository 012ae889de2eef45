import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ClientError, Producer, ResponseCode } from '../../src/client/index.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
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
    const routePerm = (want: number) => waitFor(`route perm ${want} for drain-me`, async (note) => {
      const p = await perm();
      note(`perm ${p}`);
      return p === want;
    }, 10_000, 50);
    await routePerm(6);
    await admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 4 });
    await routePerm(4);
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'drain-p', retryTimesWhenSendFailed: 0 });
    await producer.start();
    const refused = await producer.send({ topic: 'drain-me', body: Buffer.from('x') }, { queue: { topic: 'drain-me', brokerName: 'broker-a', queueId: 0 } })
      .then(() => undefined, (err: unknown) => err);
    // Refused by the client from the read-only route, before any request: there is no response code to match.
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).responseCode).toBeUndefined();
    expect((refused as ClientError).message).toContain('no writable queue');
    await admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 6 });
    await routePerm(6);
    // The producer's cached route still says read-only; it looks again (at most once a second) when nothing is writable.
    await waitFor('a send to drain-me once it is writable again', async () =>
      (await producer.send({ topic: 'drain-me', body: Buffer.from('x') })).status === 'SEND_OK', 10_000);
    await producer.shutdown();
    const changed = await admin.updateBrokerConfig(cluster.brokerAddr, { listenPort: 1 }).then(() => undefined, (err: unknown) => err);
    expect(changed).toBeInstanceOf(ClientError);
    expect((changed as ClientError).responseCode).toBe(ResponseCode.INVALID_PARAMETER);
    expect((changed as ClientError).message).toContain('listenPort'); // the remark names the key a person asked for
  });

  it('refuses a run-time value its key\'s check forbids, naming the key, and keeps the old one', async () => {
    await expect(admin.updateBrokerConfig(cluster.brokerAddr, { brokerPermission: 9 })).rejects.toThrow(/brokerPermission must be within 0\.\.7/);
    await expect(admin.updateBrokerConfig(cluster.brokerAddr, { accessMessageInMemoryMaxRatio: 101 }))
      .rejects.toThrow(/accessMessageInMemoryMaxRatio must be within 0\.\.100/);
    expect([cluster.broker.config.brokerPermission, cluster.broker.config.accessMessageInMemoryMaxRatio]).toEqual([6, 40]);
  });
});
