import net from 'node:net';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig } from '../../src/broker/broker-config.ts';
import { Admin, Producer } from '../../src/client/index.ts';
import { DEFAULT_LATENCY_FAULT_TABLE, FaultIsolation, notAvailableFor } from '../../src/client/fault-isolation.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

const DELAY_MS = 600;
let cluster: LocalCluster;
let slow: BrokerController;
let slowDir: string;
let proxy: net.Server;
let admin: Admin;
const topic = 'latency-two-brokers';

/**
 * broker-b listens on 127.0.0.1 but registers 127.0.0.2 (another loopback address): a proxy there forwards to it and
 * holds every answer back DELAY_MS, so clients see a slow broker.
 */
async function startSlowBroker(namesrvAddr: string): Promise<void> {
  slowDir = tempDir();
  // A first start finds a free port; the slow broker then runs on it with brokerIP1 = 127.0.0.2.
  const probe = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => setTimeout(() => client.writable && client.write(d), DELAY_MS));
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.2', r));
  slow = new BrokerController({
    ...defaultBrokerConfig(), brokerName: 'broker-b', brokerIP1: '127.0.0.2', bindAddress: '127.0.0.1', listenPort: port,
    namesrvAddr, storePathRootDir: slowDir, mappedFileSizeCommitLog: 64 * 1024 * 1024,
  }, createLogger('broker-b'));
  await slow.start();
}

beforeAll(async () => {
  cluster = await startLocalCluster();
  await startSlowBroker(cluster.namesrvAddr);
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  await admin.createTopic(topic, { readQueueNums: 2, writeQueueNums: 2, brokerAddr: cluster.brokerAddr });
  await admin.createTopic(topic, { readQueueNums: 2, writeQueueNums: 2, brokerAddr: `127.0.0.1:${slow.port}` });
  await waitFor('the topic on both brokers', async () => (await admin.topicRoute(topic)).queueDatas.length === 2, 30_000);
}, 60_000);

afterAll(async () => {
  await admin?.shutdown();
  await slow?.shutdown();
  proxy?.close();
  if (slowDir) fs.rmSync(slowDir, { recursive: true, force: true });
  await cluster?.stop();
});

async function sendTwenty(producer: Producer): Promise<string[]> {
  const brokers: string[] = [];
  for (let i = 0; i < 20; i++) brokers.push((await producer.send({ topic, body: Buffer.from(`m${i}`) })).messageQueue.brokerName);
  return brokers;
}

describe('latency-based fault avoidance (sendLatencyFaultEnable)', () => {
  it('maps latencies to avoidance as RocketMQ\'s table does', () => {
    expect(notAvailableFor(DEFAULT_LATENCY_FAULT_TABLE, 10)).toBe(0);
    expect(notAvailableFor(DEFAULT_LATENCY_FAULT_TABLE, 549)).toBe(0);
    expect(notAvailableFor(DEFAULT_LATENCY_FAULT_TABLE, 550)).toBe(30_000);
    expect(notAvailableFor(DEFAULT_LATENCY_FAULT_TABLE, 2_500)).toBe(120_000);
    expect(notAvailableFor(DEFAULT_LATENCY_FAULT_TABLE, 60_000)).toBe(600_000);
    const f = new FaultIsolation(30_000, DEFAULT_LATENCY_FAULT_TABLE);
    f.recovered('b', 700, 1_000);
    expect(f.isAvailable('b', 30_999)).toBe(false);
    expect(f.isAvailable('b', 31_000)).toBe(true);
    f.refused('b', 1_200, 0);
    expect(f.isAvailable('b', 59_999)).toBe(false);
    expect(() => new FaultIsolation(0, { latencyMaxMs: [1, 2], notAvailableMs: [0] })).toThrow(/same length/);
  });

  it('steers sends away from a slow broker only when enabled', async () => {
    const plain = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'latency-plain' });
    const avoiding = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'latency-avoid', sendLatencyFaultEnable: true });
    await plain.start();
    await avoiding.start();
    try {
      // Round robin over 4 queues, 2 per broker: half the sends go to the slow one.
      const plainBrokers = await sendTwenty(plain);
      expect(plainBrokers.filter((b) => b === 'broker-b')).toHaveLength(10);
      // With avoidance the first slow answer (>= 550 ms) sets broker-b aside for 30 s.
      const started = performance.now();
      const avoidingBrokers = await sendTwenty(avoiding);
      const took = performance.now() - started;
      expect(avoidingBrokers.filter((b) => b === 'broker-b').length).toBeLessThanOrEqual(1);
      expect(took).toBeLessThan(5 * DELAY_MS);
    } finally {
      await plain.shutdown();
      await avoiding.shutdown();
    }
  }, 60_000);
});
