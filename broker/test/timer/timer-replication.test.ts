import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

// A slave indexes the timers it replicates and follows the master's progress markers, so that, started as the
// master over the same store (today's failover), it delivers exactly what the old master had not.
let cluster: LocalCluster;
let slave: BrokerController | undefined;
let slaveConfig: BrokerConfig;

beforeAll(async () => {
  cluster = await startLocalCluster({ brokerRole: 'SYNC_MASTER' });
  slaveConfig = {
    ...defaultBrokerConfig(), brokerName: 'broker-a', brokerId: 1, brokerRole: 'SLAVE', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
    listenPort: 0, namesrvAddr: cluster.namesrvAddr, storePathRootDir: tempDir('tern-timer-slave-'), registerNameServerPeriod: 1000, slaveSyncInterval: 500,
  };
  slave = new BrokerController(slaveConfig, createLogger('slave'));
  await slave.start();
  await waitFor('slave connected', () => (cluster.broker.context.haMaster?.replicaInfo().length ?? 0) > 0, 20_000);
});
afterAll(async () => {
  await slave?.shutdown();
  await cluster.stop();
});

describe('timers on a master/slave pair', { timeout: 60_000 }, () => {
  it('the slave holds the pending timers, drops the delivered ones and the recalled one, and delivers the rest once promoted', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'timer-ha' });
    await producer.start();
    try {
      await admin.createTopic('timer-ha', { readQueueNums: 1, writeQueueNums: 1, brokerAddr: cluster.brokerAddr });
      await waitFor('route', () => admin.topicRoute('timer-ha'));
      const now = Date.now();
      const soon = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'timer-ha', body: Buffer.from(`soon${i}`) }, { deliverAt: now + 1500 })));
      const later = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: 'timer-ha', body: Buffer.from(`later${i}`) }, { deliverAt: now + 15_000 })));
      expect([...soon, ...later].every((r) => r.status === 'SEND_OK')).toBe(true);
      await producer.recall(later[0]!.recallHandle!);
      const slaveTimer = slave!.context.timer;
      await waitFor('the slave indexed 10 timers', () => slaveTimer.stats().pending === 10, 10_000);
      // The master delivers the first five and, within a checkpoint interval, writes its progress marker.
      await waitFor('the slave follows the delivery of the first five', () => slaveTimer.stats().pending === 5, 10_000);
      expect(slaveTimer.stats().delivered).toBe(0);
      const master = cluster.broker.context.store;
      expect(master.getMaxOffsetInQueue('timer-ha', 0)).toBe(5);

      // Failover as today: the master stops for good, the slave's store restarts as the master of the group.
      const slaveRoot = slaveConfig.storePathRootDir;
      await slave!.shutdown();
      await cluster.broker.shutdown();
      slave = new BrokerController({ ...slaveConfig, brokerId: 0, brokerRole: 'ASYNC_MASTER', storePathRootDir: slaveRoot }, createLogger('promoted'));
      await slave.start();
      const promoted = slave.context;
      expect(promoted.timer.stats().pending).toBe(5);
      await waitFor('the promoted master delivers the four not recalled', () => promoted.store.getMaxOffsetInQueue('timer-ha', 0) >= 9, 30_000, 100);
      await new Promise((r) => setTimeout(r, 500));
      expect(promoted.store.getMaxOffsetInQueue('timer-ha', 0)).toBe(9);
      expect(Date.now()).toBeGreaterThanOrEqual(now + 15_000);
      const bodies = Array.from({ length: 9 }, (_, o) => promoted.store.lookMessageByOffset(promoted.store.getCommitLogOffsetInQueue('timer-ha', 0, o))!.body.toString());
      expect(bodies.sort()).toEqual(['later1', 'later2', 'later3', 'later4', 'soon0', 'soon1', 'soon2', 'soon3', 'soon4']);
    } finally {
      await producer.shutdown();
      await admin.shutdown();
    }
  });
});
