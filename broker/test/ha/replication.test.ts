import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.ts';
import { Admin, Producer, PushConsumer } from '../../src/client/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const log = createLogger('test');
let cluster: LocalCluster;
let slave: BrokerController;
let slaveConfig: BrokerConfig;
let raw: RemotingClient;
const SEGMENT = 256 * 1024;

/** sha256 of each segment holding data (a segment allocated ahead of need is not part of the log yet). */
const digest = (dir: string, end: number) => Object.fromEntries(fs.readdirSync(dir).filter((f) => Number(f) < end).sort().map((f) =>
  [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')]));

beforeAll(async () => {
  // 1 KiB chunks: a segment's tail after its blank record then spans many chunks, as with real 1 GiB segments.
  cluster = await startLocalCluster({ brokerRole: 'SYNC_MASTER', mappedFileSizeCommitLog: SEGMENT, slaveReadEnable: true, haTransferBatchSize: 1024 });
  slaveConfig = {
    ...defaultBrokerConfig(), brokerName: 'broker-a', brokerId: 1, brokerRole: 'SLAVE', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
    listenPort: 0, namesrvAddr: cluster.namesrvAddr, storePathRootDir: tempDir('tern-slave-'), mappedFileSizeCommitLog: SEGMENT,
    registerNameServerPeriod: 1000, slaveSyncInterval: 500,
  };
  raw = new RemotingClient({ logger: log });
});
afterAll(async () => {
  await raw.close();
  await slave?.shutdown();
  await cluster.stop();
});

const sendRaw = (addr: string, topic: string, i: number) => raw.invoke(addr, createRequest(RequestCode.SEND_MESSAGE_V2, {
  a: 'pg', b: topic, c: 'TBW102', d: 4, e: i % 4, f: 0, g: Date.now(), h: 0, i: encodeProperties({ KEYS: `k${i}`, UNIQ_KEY: `U${i}` }), m: false,
}, Buffer.alloc(1000, i % 256)));

describe('master/slave replication', () => {
  it('a SYNC_MASTER without a slave stores the message and says SLAVE_NOT_AVAILABLE', async () => {
    const r = await sendRaw(cluster.brokerAddr, 'ha-topic', 0);
    expect(r.code).toBe(ResponseCode.SLAVE_NOT_AVAILABLE);
    expect(r.extFields?.msgId).toMatch(/^[0-9A-F]{32}$/);
    const info = JSON.parse((await raw.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString()).table;
    expect(info).toMatchObject({ haConnectedSlaves: '0', inSyncSlaveNums: '0' });
  });

  it('streams the CommitLog to a slave byte for byte, across segment rollovers, and acknowledges sends after the slave holds them', async () => {
    slave = new BrokerController(slaveConfig, createLogger('slave'));
    await slave.start();
    await waitFor('slave connected', () => (cluster.broker.context.haMaster?.replicaInfo().length ?? 0) > 0, 20_000);
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ha-producer' });
    await producer.start();
    const statuses = new Map<string, number>();
    for (let i = 1; i <= 1500; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) =>
        producer.send({ topic: 'ha-topic', body: Buffer.alloc(700, (i + j) % 256), keys: [`k${i + j}`] })));
      for (const r of batch) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // Now and then a 120 KiB message: the segment it does not fit in ends with a long blank tail.
      if (i % 300 === 1) statuses.set('BIG', (statuses.get('BIG') ?? 0) + Number((await producer.send({ topic: 'ha-topic', body: Buffer.alloc(120 * 1024, 1), keys: [`big${i}`] })).status === 'SEND_OK'));
    }
    await producer.shutdown();
    expect(Object.fromEntries(statuses)).toEqual({ SEND_OK: 1500, BIG: 5 });
    const master = cluster.broker.context.store;
    await waitFor('slave caught up', () => slave.context.store.getCommitLogMaxOffset() === master.getCommitLogMaxOffset(), 20_000);
    expect(master.getCommitLogMaxOffset()).toBeGreaterThan(4 * SEGMENT);
    // Byte-identical CommitLogs.
    const end = master.getCommitLogMaxOffset();
    const masterDigest = digest(path.join(cluster.storeDir, 'commitlog'), end);
    expect(Object.keys(masterDigest).length).toBeGreaterThan(4);
    expect(digest(path.join(slaveConfig.storePathRootDir, 'commitlog'), end)).toEqual(masterDigest);
    // The slave built its own ConsumeQueues, the same as the master's, and serves pulls.
    for (let q = 0; q < 4; q++) {
      expect(slave.context.store.getMaxOffsetInQueue('ha-topic', q)).toBe(master.getMaxOffsetInQueue('ha-topic', q));
    }
    await waitFor('slave has the topic', () => !!slave.context.topics.select('ha-topic'), 20_000);
    const pulled = await raw.invoke(slave.brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'ha-reader', topic: 'ha-topic', queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
    }));
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    expect(decodeStoredMessages(pulled.body!).length).toBeGreaterThan(0);
    const info = JSON.parse((await raw.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString()).table;
    expect(info.haConnectedSlaves).toBe('1');
    expect(info.inSyncSlaveNums).toBe('1');
    expect(Number(info.haSlaveLagBytes)).toBe(0);
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    const rows = await admin.clusterList();
    await admin.shutdown();
    expect(rows.find((r) => r.brokerId === 0)?.replication).toEqual({ role: 'master', slaves: 1, maxLagBytes: 0 });
    expect(rows.find((r) => r.brokerId === 1)?.replication).toMatchObject({ role: 'slave', lagBytes: 0 });
  });

  it('the slave refuses writes, registers under brokerId 1, and copies offsets and groups from its master', async () => {
    const refused = await sendRaw(slave.brokerAddr, 'ha-topic', 1);
    expect(refused.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
    const route = JSON.parse((await raw.invoke(cluster.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'ha-topic' }))).body!.toString());
    expect(route.brokerDatas[0].brokerAddrs).toEqual({ 0: cluster.brokerAddr, 1: slave.brokerAddr });
    await raw.invoke(cluster.brokerAddr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'ha-reader', topic: 'ha-topic', queueId: 2, commitOffset: 7 }));
    await waitFor('offsets copied', () => slave.context.offsets.query('ha-reader', 'ha-topic', 2) === 7, 20_000);
  });

  it('a master sends a consumer whose backlog does not fit in memory to the slave, and the TS client follows', async () => {
    // Ratio 0: any backlog counts as too big for memory, so every pull is redirected.
    cluster.broker.context.config.accessMessageInMemoryMaxRatio = 0;
    const slaveGets = async () => Number(JSON.parse((await raw.invoke(slave.brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString()).table.msgGetTotalTodayNow);
    const before = await slaveGets();
    const seen = new Set<string>();
    const consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'slow-reader', consumeFrom: 'first' });
    consumer.subscribe('ha-topic', '*');
    consumer.onMessage((msgs) => { for (const m of msgs) seen.add(m.properties.get('KEYS')!); });
    await consumer.start();
    await waitFor('consumed from the slave', async () => seen.size >= 1500 && (await slaveGets()) - before > 500, 30_000);
    await consumer.shutdown();
    cluster.broker.context.config.accessMessageInMemoryMaxRatio = 40;
  });

  it('a restarted slave catches up from its own offset', async () => {
    await slave.shutdown();
    const before = slave.context.store.getCommitLogMaxOffset();
    // 128 KiB batches in 256 KiB segments: most segments end with a long blank tail, many chunks long.
    const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'ha-batches' });
    await producer.start();
    for (let i = 0; i < 40; i++) {
      const r = await producer.sendBatch(Array.from({ length: 8 }, (_, j) => ({ topic: 'ha-batch', body: Buffer.alloc(16 * 1024, i + j) })));
      expect(r.status).toBe('SLAVE_NOT_AVAILABLE');
    }
    await producer.shutdown();
    slave = new BrokerController(slaveConfig, createLogger('slave'));
    await slave.start();
    const master = cluster.broker.context.store;
    expect(master.getCommitLogMaxOffset()).toBeGreaterThan(before);
    await waitFor('restarted slave caught up', () => slave.context.store.getCommitLogMaxOffset() === master.getCommitLogMaxOffset(), 20_000);
    // The slave stays healthy: a clean stop leaves no abort file (a store that turned read-only keeps it).
    await slave.shutdown();
    expect(fs.existsSync(path.join(slaveConfig.storePathRootDir, 'abort'))).toBe(false);
    slave = new BrokerController(slaveConfig, createLogger('slave'));
    await slave.start();
    await waitFor('slave knows the batch topic', () => !!slave.context.topics.select('ha-batch'), 20_000);
    for (let q = 0; q < 4; q++) {
      expect(slave.context.store.getMaxOffsetInQueue('ha-batch', q)).toBe(master.getMaxOffsetInQueue('ha-batch', q));
    }
    const end = master.getCommitLogMaxOffset();
    expect(digest(path.join(slaveConfig.storePathRootDir, 'commitlog'), end)).toEqual(digest(path.join(cluster.storeDir, 'commitlog'), end));
  });

  it('offsets committed to the slave while the master is away reach the master when it returns', async () => {
    await cluster.broker.shutdown();
    await raw.invoke(slave.brokerAddr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'while-away', topic: 'ha-topic', queueId: 3, commitOffset: 42 }));
    expect(slave.context.offsets.query('while-away', 'ha-topic', 3)).toBe(42);
    await cluster.restartBroker();
    await waitFor('master has the offset from the slave', async () => {
      const r = await raw.invoke(cluster.brokerAddr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'while-away', topic: 'ha-topic', queueId: 3, setZeroIfNotFound: false }));
      return r.extFields?.offset === '42';
    }, 20_000);
  });
});
