import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig } from '../../src/broker/broker-config.ts';
import {
  Admin, ClientError, Producer, PushConsumer, selectQueueByHash, type ReceivedMessage,
} from '../../src/client/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { MessageSysFlag } from '../../src/message/sys-flag.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let producer: Producer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'producer-test' });
  await producer.start();
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await producer?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

async function createTopic(topic: string, queues: number, brokerAddr = cluster.brokerAddr): Promise<void> {
  await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues, brokerAddr });
  await waitFor(`route of ${topic}`, async () =>
    (await admin.topicRoute(topic)).queueDatas.some((q) => q.writeQueueNums === queues), 15_000);
}

/** Reads `count` messages of `topic` from the start with a fresh group. */
async function readAll(topic: string, count: number): Promise<ReceivedMessage[]> {
  const c = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: `reader-${topic}`, consumeFrom: 'first', subscriptions: { [topic]: '*' } });
  const got: ReceivedMessage[] = [];
  c.onMessage((msgs) => {
    got.push(...msgs);
  });
  await c.start();
  try {
    await waitFor(`${count} messages from ${topic}`, (note) => {
      note(`${got.length} so far`);
      return got.length >= count;
    }, 20_000, 50);
  } finally {
    await c.shutdown();
  }
  return got;
}

describe('Producer against a real broker', () => {
  it('sends to a topic nobody created, through the TBW102 template (4 queues)', async () => {
    const r = await producer.send({ topic: 'auto-made', body: Buffer.from('first') });
    expect(r.status).toBe('SEND_OK');
    expect(r.msgId).toMatch(/^[0-9A-F]{32}$/);
    expect(r.offsetMsgId).toMatch(/^[0-9A-F]{32}$/);
    expect(r.queueOffset).toBe(0);
    const route = await waitFor('auto-created route', () => admin.topicRoute('auto-made'), 15_000);
    expect(route.queueDatas[0]!.writeQueueNums).toBe(4);
  });

  it('sends batches as consecutive entries of one queue', async () => {
    await createTopic('batched', 2);
    const msgs = Array.from({ length: 10 }, (_, i) => ({ topic: 'batched', body: Buffer.from(`b${i}`), keys: [`bk-${i}`] }));
    const r = await producer.sendBatch(msgs);
    const ids = r.msgId.split(',');
    expect(ids).toHaveLength(10);
    expect(r.offsetMsgId.split(',')).toHaveLength(10);
    const got = await readAll('batched', 10);
    expect(got.map((m) => m.msgId)).toEqual(ids);
    expect(got.map((m) => m.queueOffset)).toEqual(Array.from({ length: 10 }, (_, i) => r.queueOffset + i));
    expect(new Set(got.map((m) => m.queueId))).toEqual(new Set([r.messageQueue.queueId]));
  });

  it('keeps messages with one sharding key on one queue, in send order', async () => {
    await createTopic('ordered', 8);
    const keys = ['order-1', 'order-2', 'order-3'];
    const expectedQueue = new Map<string, number>();
    for (let seq = 0; seq < 20; seq++) {
      for (const key of keys) {
        const r = await producer.send({ topic: 'ordered', body: Buffer.from(`${key}:${seq}`), keys: [key] }, { selector: selectQueueByHash(key) });
        expect(r.messageQueue.queueId).toBe(expectedQueue.get(key) ?? r.messageQueue.queueId);
        expectedQueue.set(key, r.messageQueue.queueId);
      }
    }
    const got = await readAll('ordered', 60);
    for (const key of keys) {
      const seqs = got.filter((m) => m.keys![0] === key).sort((a, b) => a.queueOffset - b.queueOffset)
        .map((m) => Number(m.body.toString().split(':')[1]));
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    // Same placement as Java's SelectMessageQueueByHash: |"order-1".hashCode() % 8|.
    const javaHash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 0);
    for (const key of keys) expect(expectedQueue.get(key)).toBe(Math.abs(javaHash(key) % 8));
  });

  it('compresses large bodies, sends to an explicit queue and one-way', async () => {
    await createTopic('mixed', 2);
    const big = Buffer.from('0123456789abcdef'.repeat(8192));
    const r = await producer.send({ topic: 'mixed', body: big, tags: 'big' }, { queue: { topic: 'mixed', brokerName: 'broker-a', queueId: 1 } });
    expect(r.messageQueue.queueId).toBe(1);
    for (let i = 0; i < 20; i++) await producer.sendOneway({ topic: 'mixed', body: Buffer.from(`ow-${i}`) });
    const got = await readAll('mixed', 21);
    const large = got.find((m) => m.tags === 'big')!;
    expect(large.body.equals(big)).toBe(true);
    expect(large.sysFlag & MessageSysFlag.COMPRESSED_FLAG).toBe(MessageSysFlag.COMPRESSED_FLAG);
    expect(got.filter((m) => m.body.toString().startsWith('ow-'))).toHaveLength(20);
  });

  it('refuses bad messages with a ClientError, before sending anything', async () => {
    await expect(producer.send({ topic: 'ok', body: Buffer.alloc(0) })).rejects.toThrow(/body is empty/);
    await expect(producer.send({ topic: 'bad topic!', body: Buffer.from('x') })).rejects.toThrow(ClientError);
    await expect(producer.send({ topic: 'ok', body: Buffer.alloc(5 * 1024 * 1024) })).rejects.toThrow(/more than the 4194304 allowed/);
    await expect(producer.sendBatch([{ topic: 'a', body: Buffer.from('1') }, { topic: 'b', body: Buffer.from('2') }])).rejects.toThrow(/one topic/);
    const idle = new Producer({ namesrvAddr: cluster.namesrvAddr });
    await expect(idle.send({ topic: 'ok', body: Buffer.from('x') })).rejects.toThrow(/not started/);
    const lost = new Producer({ namesrvAddr: '127.0.0.1:1', sendTimeoutMs: 1000 });
    await lost.start();
    await expect(lost.send({ topic: 'ok', body: Buffer.from('x') })).rejects.toThrow(/no name server reachable/);
    await lost.shutdown();
  });

  it('retries on another broker when one goes away', async () => {
    const storeDir = tempDir();
    const second = new BrokerController({
      ...defaultBrokerConfig(), brokerName: 'broker-b', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0,
      namesrvAddr: cluster.namesrvAddr, storePathRootDir: storeDir, mappedFileSizeCommitLog: 16 * 1024 * 1024,
    }, createLogger('broker-b'));
    await second.start();
    let secondRunning = true;
    cleanups.push(async () => {
      if (secondRunning) await second.shutdown();
      fs.rmSync(storeDir, { recursive: true, force: true });
    });
    await admin.createTopic('spread', { readQueueNums: 2, writeQueueNums: 2, clusterName: 'DefaultCluster' });
    await waitFor('route over two brokers', async () => (await admin.topicRoute('spread')).queueDatas.length === 2, 15_000);
    const p = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'spreader' });
    await p.start();
    const before = await Promise.all(Array.from({ length: 8 }, (_, i) => p.send({ topic: 'spread', body: Buffer.from(`s${i}`) })));
    expect(new Set(before.map((r) => r.messageQueue.brokerName))).toEqual(new Set(['broker-a', 'broker-b']));
    await second.shutdown();
    secondRunning = false;
    // The producer's cached route still lists broker-b: sends that pick it fail over to broker-a.
    const after = [];
    for (let i = 0; i < 8; i++) after.push(await p.send({ topic: 'spread', body: Buffer.from(`t${i}`) }));
    expect(after.every((r) => r.status === 'SEND_OK' && r.messageQueue.brokerName === 'broker-a')).toBe(true);
    await p.shutdown();
  });
});
