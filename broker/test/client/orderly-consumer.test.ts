import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer, type ReceivedMessage } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let producer: Producer;
const consumers: PushConsumer[] = [];

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'orderly-producer' });
  await producer.start();
});

afterAll(async () => {
  for (const c of consumers) await c.shutdown();
  await producer?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

async function createTopic(topic: string, queues: number): Promise<void> {
  await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues, brokerAddr: cluster.brokerAddr });
  await waitFor(`a route for ${topic}`, async () => (await admin.topicRoute(topic)).queueDatas[0]?.writeQueueNums === queues);
}

function orderlyConsumer(group: string, topic: string, extra: Partial<ConstructorParameters<typeof PushConsumer>[0]> = {}): PushConsumer {
  const c = new PushConsumer({
    namesrvAddr: cluster.namesrvAddr, group, subscriptions: { [topic]: '*' }, consumeFrom: 'first', orderly: true,
    suspendCurrentQueueMs: 100, rebalanceIntervalMs: 2_000, ...extra,
  });
  consumers.push(c);
  return c;
}

/** Sends `perKey` messages for each key, interleaving keys, each key's messages in order. */
async function sendInterleaved(topic: string, keys: string[], from: number, perKey: number): Promise<void> {
  for (let seq = from; seq < from + perKey; seq++) {
    await Promise.all(keys.map((key) => producer.send({ topic, body: Buffer.from(`${key}:${seq}`), keys: [key] }, { shardingKey: key })));
  }
}

const parse = (m: ReceivedMessage) => {
  const [key, seq] = m.body.toString().split(':');
  return { key: key!, seq: Number(seq) };
};

describe('orderly PushConsumer against a real broker', () => {
  it('sends a key to one queue (Java String.hashCode modulo the queue count)', async () => {
    const topic = 'orderly-hash';
    await createTopic(topic, 4);
    const a = await producer.send({ topic, body: Buffer.from('x') }, { shardingKey: 'order-42' });
    const b = await producer.send({ topic, body: Buffer.from('y') }, { shardingKey: 'order-42' });
    expect(b.messageQueue.queueId).toBe(a.messageQueue.queueId);
    // "order-42".hashCode() in Java is 1234255197, and 1234255197 mod 4 = 1.
    expect(a.messageQueue.queueId).toBe(1);
    await expect(producer.send({ topic, body: Buffer.from('z') }, { shardingKey: 'k', selector: (qs) => qs[0]! })).rejects.toThrow(/either/);
  });

  it('keeps each key in order across failures and a rebalance between two members, without the retry topic', async () => {
    const topic = 'orderly-8q';
    const group = 'orderly-two';
    await createTopic(topic, 8);
    const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    // Successful consumptions in the order they happened, over both members.
    const done: { msgId: string; key: string; seq: number; by: string; queueId: number; reconsumeTimes: number; retryTopic?: string }[] = [];
    const failedOnce = new Map<string, string>();
    const inFlight = new Map<string, string>();
    let overlaps = 0;
    const make = () => {
      const c = orderlyConsumer(group, topic, { consumeBatchSize: 2 });
      c.onMessage(async (msgs) => {
        const q = `${msgs[0]!.queueId}`;
        if (inFlight.has(q)) overlaps++;
        inFlight.set(q, c.clientId);
        try {
          await new Promise((r) => setTimeout(r, 1));
          for (const m of msgs) {
            const { seq } = parse(m);
            // Every 10th message fails on its first delivery.
            if (seq % 10 === 3 && !failedOnce.has(m.msgId)) {
              failedOnce.set(m.msgId, c.clientId);
              throw new Error(`injected failure of ${m.body.toString()}`);
            }
          }
          for (const m of msgs) {
            done.push({ msgId: m.msgId, ...parse(m), by: c.clientId, queueId: m.queueId, reconsumeTimes: m.reconsumeTimes, retryTopic: m.properties.get('RETRY_TOPIC') });
          }
        } finally {
          inFlight.delete(q);
        }
      });
      return c;
    };
    const a = make();
    await a.start();
    await waitFor('first member owning all 8 queues', () => a.assignedQueues(topic).length === 8, 30_000);
    await sendInterleaved(topic, keys, 0, 20);
    await waitFor('first 320 consumed', () => done.length >= 320, 60_000);

    // A second member joins while the second half is being sent: half the queues change hands mid-stream.
    const b = make();
    await Promise.all([b.start(), sendInterleaved(topic, keys, 20, 20)]);
    await waitFor('4 + 4 queues', () => a.assignedQueues(topic).length === 4 && b.assignedQueues(topic).length === 4, 30_000);
    await waitFor('640 consumptions', () => done.length >= 640, 60_000);

    expect(done).toHaveLength(640);
    expect(overlaps).toBe(0);
    for (const key of keys) {
      const mine = done.filter((d) => d.key === key);
      expect(mine.map((d) => d.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(new Set(mine.map((d) => d.queueId)).size).toBe(1);
    }
    // Both members consumed, and some key was consumed by both: its queue moved while it had traffic.
    expect(new Set(done.map((d) => d.by)).size).toBe(2);
    expect(keys.some((key) => new Set(done.filter((d) => d.key === key).map((d) => d.by)).size === 2)).toBe(true);
    // Failed messages came back in place (reconsumeTimes counted by the member that saw them fail; a new
    // owner reads them afresh from the broker), never through %RETRY%.
    expect(failedOnce.size).toBe(keys.length * 4);
    const redelivered = done.filter((d) => failedOnce.get(d.msgId) === d.by);
    expect(redelivered.length).toBeGreaterThan(0);
    expect(redelivered.every((d) => d.reconsumeTimes >= 1)).toBe(true);
    expect(done.every((d) => d.retryTopic === undefined)).toBe(true);
    expect(cluster.broker.context.store.getMaxOffsetInQueue(`%RETRY%${group}`, 0)).toBe(0);
    // The broker's locks match the owners.
    const locks = cluster.broker.context.locks;
    for (const c of [a, b]) {
      for (const mq of c.assignedQueues(topic)) expect(locks.isLocked(group, mq, c.clientId)).toBe(true);
    }
  }, 120_000);

  it('dead-letters a poison message after orderlyDeadLetterAfter failures, and the queue moves on', async () => {
    const topic = 'orderly-poison';
    const group = 'orderly-dlq';
    await createTopic(topic, 2);
    const attempts = new Map<number, number>();
    const done: number[] = [];
    const c = orderlyConsumer(group, topic, { orderlyDeadLetterAfter: 3 });
    c.onMessage((msgs) => {
      for (const m of msgs) {
        const { seq } = parse(m);
        attempts.set(seq, (attempts.get(seq) ?? 0) + 1);
        if (seq === 2) throw new Error('poison');
        done.push(seq);
      }
    });
    await c.start();
    await waitFor('both queues owned', () => c.assignedQueues(topic).length === 2, 30_000);
    await sendInterleaved(topic, ['P'], 0, 5);
    await waitFor('4 good messages', () => done.length >= 4, 30_000);
    expect(done).toEqual([0, 1, 3, 4]);
    expect(attempts.get(2)).toBe(3);
    await waitFor('the poison message in the DLQ', () => cluster.broker.context.store.getMaxOffsetInQueue(`%DLQ%${group}`, 0) === 1, 10_000);
  }, 60_000);

  it('refuses an orderly consumer without a listener', async () => {
    const c = orderlyConsumer('orderly-nolistener', 'orderly-hash');
    expect(() => c.messages()).toThrow(/listener/);
    await expect(c.start()).rejects.toThrow(/listener/);
  });
});
