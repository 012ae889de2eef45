import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer } from '../../src/client/index.ts';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig } from '../../src/broker/broker-config.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { freePort } from '../../src/harness/free-port.ts';
import { defaultNamesrvConfig } from '../../src/namesrv/namesrv-config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { parseSamples, sampleSum, scrapeMetrics } from '../../src/harness/prometheus-text.ts';
import { ensurePromtool, promtoolCheckMetrics } from '../../src/harness/promtool.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

const TOPIC = 'metrics-topic';
const GROUP = 'metrics-group';
const SENT = 20;
const BODY = Buffer.alloc(100, 'm');
const LABEL_LIMIT = 4;
const PROM = { metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: 0 } as const;

let cluster: LocalCluster;
let producer: Producer;
let consumer: PushConsumer;
const raw = new RemotingClient({ logger: createLogger('test') });
const rawSend = (topic: string) => raw.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
  a: 'raw-producer', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties({}), m: false,
}, BODY));
const brokerScrape = async () => parseSamples(await scrapeMetrics(cluster.broker.metricsPort!));

beforeAll(async () => {
  cluster = await startLocalCluster({ ...PROM, metricsLabelValueLimit: LABEL_LIMIT }, PROM);
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'metrics-producer' });
  await producer.start();
  for (let i = 0; i < SENT; i++) await producer.send({ topic: TOPIC, body: BODY });
  const received = new Set<string>();
  consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: GROUP, consumeFrom: 'first', persistOffsetIntervalMs: 200 });
  consumer.subscribe(TOPIC, '*');
  consumer.onMessage((msgs) => { for (const m of msgs) received.add(m.msgId); });
  await consumer.start();
  await waitFor(`${SENT} messages consumed`, () => received.size >= SENT);
}, 60_000);

afterAll(async () => {
  await consumer?.shutdown();
  await producer?.shutdown();
  await raw.close();
  await cluster?.stop();
});

describe('/metrics on a broker and a namesrv (metricsExporterType=PROM)', () => {
  it('counts what the traffic did, under RocketMQ 5 names and labels', async () => {
    const s = await brokerScrape();
    const t = { topic: TOPIC };
    expect(sampleSum(s, 'rocketmq_messages_in_total', { ...t, message_type: 'Normal', cluster: 'DefaultCluster', node_type: 'broker', node_id: 'broker-a' })).toBe(SENT);
    expect(sampleSum(s, 'rocketmq_throughput_in_total', t)).toBe(SENT * BODY.length);
    expect(sampleSum(s, 'rocketmq_message_size_count', t)).toBe(SENT);
    expect(sampleSum(s, 'rocketmq_messages_out_total', { ...t, consumer_group: GROUP })).toBe(SENT);
    // Stored records are bigger than their bodies.
    expect(sampleSum(s, 'rocketmq_throughput_out_total', { ...t, consumer_group: GROUP })).toBeGreaterThan(SENT * BODY.length);
    expect(sampleSum(s, 'rocketmq_rpc_latency_count', { request_code: String(RequestCode.SEND_MESSAGE_V2), response_code: '0' })).toBe(SENT);
    expect(sampleSum(s, 'tern_store_append_latency_seconds_count')).toBe(SENT);
    expect(sampleSum(s, 'rocketmq_consumer_connections', { consumer_group: GROUP })).toBe(1);
    expect(sampleSum(s, 'rocketmq_producer_connections')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(s, 'rocketmq_storage_size')).toBeGreaterThan(SENT * BODY.length);
    expect(sampleSum(s, 'rocketmq_storage_message_reserve_time')).toBeGreaterThanOrEqual(0);
    expect(sampleSum(s, 'tern_long_poll_held_requests')).toBeGreaterThanOrEqual(1);
  });

  it('reports lag, inflight and ready per group from committed and pulled offsets', async () => {
    const lagOf = async (name: string) => sampleSum(await brokerScrape(), name, { topic: TOPIC, consumer_group: GROUP });
    await waitFor('the consumer to commit every offset', async () => (await lagOf('rocketmq_consumer_lag_messages')) === 0);
    await consumer.shutdown();
    for (let i = 0; i < 5; i++) await producer.send({ topic: TOPIC, body: BODY });
    expect(await lagOf('rocketmq_consumer_lag_messages')).toBe(5);
    expect(await lagOf('rocketmq_consumer_ready_messages')).toBe(5);
    expect(await lagOf('rocketmq_consumer_inflight_messages')).toBe(0);
  });

  it('counts refusals by reason', async () => {
    const refused = await rawSend('SCHEDULE_TOPIC_XXXX');
    expect(refused.code).toBe(ResponseCode.NO_PERMISSION);
    expect(sampleSum(await brokerScrape(), 'tern_requests_refused_total', { request_code: String(RequestCode.SEND_MESSAGE_V2), reason: 'NO_PERMISSION' })).toBe(1);
  });

  it('folds topics past metricsLabelValueLimit into "other"', async () => {
    // The topic label's values are shared by every metric (the group's retry topic took one too); six more topics
    // overflow the limit whatever took the slots before them.
    for (let i = 0; i < 6; i++) expect((await rawSend(`metrics-cap-${i}`)).code).toBe(ResponseCode.SUCCESS);
    const s = await brokerScrape();
    const named = new Set(s.map((x) => x.labels.topic).filter((v) => v !== undefined && v !== 'other'));
    expect(named.size).toBe(LABEL_LIMIT);
    expect(named.has(TOPIC)).toBe(true);
    const capNamed = [...named].filter((v) => v!.startsWith('metrics-cap-')).length;
    expect(sampleSum(s, 'rocketmq_messages_in_total', { topic: 'other' })).toBe(6 - capNamed);
    expect(sampleSum(s, 'tern_metrics_label_values_folded', { label: 'topic' })).toBe(6 - capNamed);
  });

  it('reports the timer wheel: pending, next due, enqueued and delivered, its lag', async () => {
    const before = await brokerScrape();
    const sentAt = Date.now();
    for (let i = 0; i < 3; i++) await producer.send({ topic: TOPIC, body: BODY }, { delayMs: 600_000 + i });
    for (let i = 0; i < 2; i++) await producer.send({ topic: TOPIC, body: BODY }, { delayMs: 200 });
    const total = (samples: typeof before, name: string) => sampleSum(samples, name) ?? Number.NaN;
    const enqueuedBefore = total(before, 'rocketmq_timer_enqueue_total');
    const deliveredBefore = total(before, 'rocketmq_timer_dequeue_total');
    const s = await waitFor('2 timers delivered and 3 pending', async () => {
      const now = await brokerScrape();
      return total(now, 'rocketmq_timer_dequeue_total') - deliveredBefore === 2 && sampleSum(now, 'rocketmq_timing_messages') === 3 && now;
    }, 20_000);
    expect(total(s, 'rocketmq_timer_enqueue_total') - enqueuedBefore).toBe(5);
    expect(sampleSum(s, 'rocketmq_timer_enqueue_lag')).toBe(0);
    const nextDue = sampleSum(s, 'tern_timer_next_due_timestamp_seconds');
    // The wheel keeps slots (100 ms by default): the earliest pending is due in the slot of sentAt + 600 s or later.
    expect(nextDue).toBeGreaterThanOrEqual((sentAt + 600_000) / 1000 - 0.1);
    expect(nextDue).toBeLessThanOrEqual((Date.now() + 600_002) / 1000);
    expect(sampleSum(s, 'rocketmq_timer_dequeue_latency')).toBeLessThan(5_000);
    expect(sampleSum(s, 'tern_timer_log_bytes')).toBeGreaterThan(0);
    expect(sampleSum(s, 'tern_timer_recalled_total')).toBe(0);
  });

  it('serves the namesrv\'s route table and rpc latency', async () => {
    const s = parseSamples(await scrapeMetrics(cluster.namesrv.metricsPort!));
    expect(sampleSum(s, 'tern_namesrv_broker_addresses', { cluster: 'DefaultCluster', node_type: 'nameserver' })).toBe(1);
    expect(sampleSum(s, 'tern_namesrv_topics')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(s, 'rocketmq_rpc_latency_count', { request_code: String(RequestCode.REGISTER_BROKER), response_code: '0' })).toBeGreaterThanOrEqual(1);
  });

  it('reports replication lag per connected slave', async () => {
    const slaveStore = tempDir();
    const slave = new BrokerController({
      ...defaultBrokerConfig(), brokerName: 'broker-a', brokerId: 1, brokerRole: 'SLAVE', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
      listenPort: 0, namesrvAddr: cluster.namesrvAddr, storePathRootDir: slaveStore, mappedFileSizeCommitLog: 64 * 1024 * 1024,
    }, createLogger('slave'));
    await slave.start();
    try {
      const lag = async () => (await brokerScrape()).filter((x) => x.name === 'tern_replication_lag_bytes');
      const caughtUp = await waitFor('the slave to catch up', async () => {
        const series = await lag();
        return series.length === 1 && series[0]!.value === 0 ? series[0] : undefined;
      });
      expect(caughtUp.labels.slave).toBe(cluster.broker.context.haMaster!.replicaInfo()[0]!.address);
    } finally {
      await slave.shutdown();
      fs.rmSync(slaveStore, { recursive: true, force: true });
    }
  });

  it('reports a Raft member\'s term, leadership, commit and applied index (DLedger mode)', async () => {
    const store = tempDir();
    const raftPort = await freePort();
    // A one-member group elects itself: enough to see the series move with real commits.
    const member = new BrokerController({
      ...defaultBrokerConfig(), ...PROM, brokerClusterName: 'raft-metrics', brokerName: 'raft-m', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1',
      listenPort: 0, namesrvAddr: cluster.namesrvAddr, storePathRootDir: store, mappedFileSizeCommitLog: 4 * 1024 * 1024,
      enableDLegerCommitLog: true, dLegerGroup: 'raft-m', dLegerPeers: `n0-127.0.0.1:${raftPort}`, dLegerSelfId: 'n0',
    }, createLogger('raft-member'));
    await member.start();
    const p = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'raft-metrics-producer' });
    try {
      await waitFor('the member to lead and serve as master', () => member.raftStatus?.role === 'leader' && member.config.brokerId === 0);
      const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
      try {
        await admin.createTopic('raft-metrics-topic', { clusterName: 'raft-metrics' });
        await waitFor('a route to the Raft member', async () => (await admin.topicRoute('raft-metrics-topic')).brokerDatas.some((b) => b.brokerName === 'raft-m'));
      } finally {
        await admin.shutdown();
      }
      await p.start();
      for (let i = 0; i < 5; i++) expect((await p.send({ topic: 'raft-metrics-topic', body: BODY })).status).toBe('SEND_OK');
      const s = parseSamples(await scrapeMetrics(member.metricsPort!));
      const value = (name: string) => s.find((x) => x.name === name)?.value;
      expect(value('tern_raft_leader')).toBe(1);
      expect(value('tern_raft_term')).toBeGreaterThanOrEqual(1);
      expect(value('tern_raft_commit_index')).toBeGreaterThanOrEqual(2);
      expect(value('tern_raft_applied_index')).toBe(value('tern_raft_commit_index'));
      const promtool = ensurePromtool();
      if (promtool.path) expect(promtoolCheckMetrics(promtool.path, await scrapeMetrics(member.metricsPort!))).toBe('');
    } finally {
      await p.shutdown();
      await member.shutdown();
      fs.rmSync(store, { recursive: true, force: true });
    }
  }, 60_000);

  it('answers 404 off /metrics', async () => {
    await expect(scrapeMetrics(cluster.broker.metricsPort!, '127.0.0.1', '/healthz')).rejects.toThrow(/answered 404/);
  });

  it('passes promtool check metrics (Prometheus\'s own parser and lint) on the broker and the namesrv', async (t) => {
    const promtool = ensurePromtool();
    if (!promtool.path) {
      console.warn(`SKIPPED: promtool check metrics: ${promtool.missing}`);
      t.skip();
      return;
    }
    for (const port of [cluster.broker.metricsPort!, cluster.namesrv.metricsPort!]) {
      expect(promtoolCheckMetrics(promtool.path, await scrapeMetrics(port))).toBe('');
    }
  }, 900_000);

  it('is off by default, as in RocketMQ', () => {
    expect(defaultBrokerConfig().metricsExporterType).toBe('DISABLE');
    expect(defaultNamesrvConfig.metricsExporterType).toBe('DISABLE');
    expect(defaultBrokerConfig().metricsPromExporterPort).toBe(5557);
  });
});
