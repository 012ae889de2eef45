import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.ts';
import { Producer } from '../../src/client/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { NamesrvController } from '../../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { waitForBrokerRegistered } from '../support/processes.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startBroker(namesrvAddr: string, over: Partial<BrokerConfig>): Promise<BrokerController> {
  const dir = tempDir('tern-ha-order-');
  const b = new BrokerController({
    ...defaultBrokerConfig(), brokerName: 'broker-a', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr,
    storePathRootDir: dir, mappedFileSizeCommitLog: 1024 * 1024, ...over,
  }, createLogger(`broker-${over.brokerId ?? 0}`));
  await b.start();
  cleanups.push(async () => { await b.shutdown(); fs.rmSync(dir, { recursive: true, force: true }); });
  return b;
}

describe('a slave that starts before its master', () => {
  // Kubernetes starts a group's pods in parallel: the slave often registers first and is told no master.
  it('finds the master within seconds, not a registerNameServerPeriod (30 s) later', async () => {
    const namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1' }, createLogger('namesrv'));
    await namesrv.start();
    cleanups.push(() => namesrv.shutdown());
    const namesrvAddr = `127.0.0.1:${namesrv.port}`;
    const slave = await startBroker(namesrvAddr, { brokerId: 1, brokerRole: 'SLAVE' });
    expect(slave.context.haSlave?.masterAddress).toBeUndefined();
    await waitForBrokerRegistered(namesrvAddr, 'broker-a', 1);
    const master = await startBroker(namesrvAddr, { brokerId: 0, brokerRole: 'SYNC_MASTER' });
    await waitFor('the slave to replicate from the master', () => (master.context.haMaster?.replicaInfo().length ?? 0) > 0, 10_000);

    const producer = new Producer({ namesrvAddr, group: 'order-producer' });
    await producer.start();
    cleanups.push(() => producer.shutdown());
    const r = await producer.send({ topic: 'ha-order', body: Buffer.from('x') });
    expect(r.status).toBe('SEND_OK');
  });
});
