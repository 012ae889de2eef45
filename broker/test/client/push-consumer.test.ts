import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer, type ReceivedMessage, type SendResult } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let producer: Producer;
const consumers: PushConsumer[] = [];

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'test-producer' });
  await producer.start();
});

afterAll(async () => {
  for (const c of consumers) await c.shutdown();
  await producer?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

/** Creates a topic and waits until the name server routes it (the broker registers it asynchronously). */
async function createTopic(topic: string, queues: number): Promise<void> {
  await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues, brokerAddr: cluster.brokerAddr });
  await waitFor(`a route for ${topic}`, async () => (await admin.topicRoute(topic)).queueDatas[0]?.writeQueueNums === queues);
}

function consumer(options: Partial<ConstructorParameters<typeof PushConsumer>[0]> & { group: string }): PushConsumer {
  const c = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, consumeFrom: 'first', ...options });
  consumers.push(c);
  return c;
}

/** Sends `count` messages with keys `<prefix>-<i>`, up to `window` at a time. */
async function sendMany(topic: string, prefix: string, count: number, window = 64): Promise<SendResult[]> {
  const results: SendResult[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await producer.send({ topic, body: Buffer.from(`body-${i}`), keys: [`${prefix}-${i}`], tags: i % 2 ? 'odd' : 'even' });
    }
  }));
  return results;
}

describe('PushConsumer against a real broker', () => {
  it('shares 8 queues between two members and delivers 10,000 messages once each, in queue order', async () => {
    const topic = 'orders-8q';
    await createTopic(topic, 8);
    const byConsumer = new Map<string, ReceivedMessage[]>();
    const make = () => {
      const c = consumer({ group: 'two-members', subscriptions: { [topic]: '*' }, consumeBatchSize: 4 });
      const got: ReceivedMessage[] = [];
      c.onMessage((msgs) => {
        got.push(...msgs);
      });
      return { c, got };
    };
    const a = make();
    await a.c.start();
    await waitFor('first member owning all 8 queues', () => a.c.assignedQueues(topic).length === 8, 30_000);
    const b = make();
    await b.c.start();
    // The broker tells the first member that the group changed; both end up with 4 queues.
    await waitFor('4 + 4 queues', () => a.c.assignedQueues(topic).length === 4 && b.c.assignedQueues(topic).length === 4, 30_000);
    byConsumer.set(a.c.clientId, a.got);
    byConsumer.set(b.c.clientId, b.got);

    const sent = await sendMany(topic, 'k', 10_000);
    expect(new Set(sent.map((r) => r.msgId)).size).toBe(10_000);
    expect(sent.every((r) => r.status === 'SEND_OK')).toBe(true);
    await waitFor('10,000 deliveries', () => a.got.length + b.got.length >= 10_000, 60_000);

    const all = [...a.got, ...b.got];
    expect(all.length).toBe(10_000);
    expect(new Set(all.map((m) => m.msgId))).toEqual(new Set(sent.map((r) => r.msgId)));
    expect(new Set(all.map((m) => m.keys![0]))).toEqual(new Set(sent.map((_, i) => `k-${i}`)));
    expect(a.got.length).toBeGreaterThan(0);
    expect(b.got.length).toBeGreaterThan(0);
    // Each queue went to one member only, and that member saw its offsets strictly increasing.
    const owner = new Map<number, string>();
    for (const [id, got] of byConsumer) {
      const last = new Map<number, number>();
      for (const m of got) {
        expect(owner.get(m.queueId) ?? id).toBe(id);
        owner.set(m.queueId, id);
        expect(m.queueOffset).toBeGreaterThan(last.get(m.queueId) ?? -1);
        last.set(m.queueId, m.queueOffset);
      }
    }
    expect(owner.size).toBe(8);

    // Shutdown commits the offsets: every queue's committed offset is its end.
    await a.c.shutdown();
    await b.c.shutdown();
    const progress = await admin.consumerProgress('two-members', topic);
    expect(progress.map((p) => p.lag)).toEqual(new Array(8).fill(0));
    expect(progress.reduce((s, p) => s + p.brokerOffset, 0)).toBe(10_000);
  });

  it('delivers everything to every member in BROADCASTING and keeps offsets in a local file', async () => {
    const topic = 'news';
    await createTopic(topic, 4);
    const dir = tempDir('tern-offsets-');
    const members = [0, 1].map(() => {
      const c = consumer({ group: 'broadcast', messageModel: 'BROADCASTING', subscriptions: { [topic]: '*' }, offsetStoreDir: dir });
      const keys = new Set<string>();
      c.onMessage((msgs) => {
        for (const m of msgs) keys.add(m.keys![0]!);
      });
      return { c, keys };
    });
    for (const m of members) await m.c.start();
    expect(members.map((m) => m.c.assignedQueues(topic).length)).toEqual([4, 4]);
    await sendMany(topic, 'n', 500);
    await waitFor('both members reading all 500', () => members.every((m) => m.keys.size === 500), 30_000);
    for (const m of members) {
      await m.c.shutdown();
      const file = path.join(dir, m.c.clientId, 'broadcast.json');
      const table = JSON.parse(fs.readFileSync(file, 'utf8')).offsetTable as Record<string, number>;
      expect(Object.values(table).reduce((s, n) => s + n, 0)).toBe(500);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts a new group at a timestamp, or at the end with consumeFrom last', async () => {
    const topic = 'timeline';
    await createTopic(topic, 2);
    await sendMany(topic, 'before', 100, 8);
    await new Promise((r) => setTimeout(r, 50));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await sendMany(topic, 'after', 100, 8);

    const fromTime = consumer({ group: 'from-time', subscriptions: { [topic]: '*' }, consumeFrom: { timestamp: cut } });
    const timeKeys: string[] = [];
    fromTime.onMessage((msgs) => {
      for (const m of msgs) timeKeys.push(m.keys![0]!);
    });
    await fromTime.start();
    const fromLast = consumer({ group: 'from-last', subscriptions: { [topic]: '*' }, consumeFrom: 'last' });
    const lastKeys: string[] = [];
    fromLast.onMessage((msgs) => {
      for (const m of msgs) lastKeys.push(m.keys![0]!);
    });
    await fromLast.start();
    await waitFor('from-last to own its queues', () => fromLast.assignedQueues(topic).length === 2, 30_000);
    await sendMany(topic, 'late', 20, 4);

    await waitFor('the messages after the cut', () => timeKeys.length >= 120, 30_000);
    await waitFor('the late messages', () => lastKeys.length >= 20, 30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(timeKeys.every((k) => !k.startsWith('before-'))).toBe(true);
    expect(timeKeys).toHaveLength(120);
    expect(lastKeys.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `late-${i}`).sort());
  });

  it('filters by tag and redelivers what the listener rejected', async () => {
    const topic = 'tagged';
    await createTopic(topic, 2);
    // Delay level 1 (1 s) instead of the broker's default 10 s for the first retry.
    const c = consumer({ group: 'odd-only', subscriptions: { [topic]: 'odd' }, sendBackDelayLevel: 1 });
    const seen: ReceivedMessage[] = [];
    let failOnce = true;
    c.onMessage((msgs) => {
      for (const m of msgs) {
        expect(m.tags).toBe('odd');
        if (m.keys![0] === 't-5' && failOnce) {
          failOnce = false;
          throw new Error('not now');
        }
        seen.push(m);
      }
    });
    await c.start();
    await sendMany(topic, 't', 40, 4);
    await waitFor('all 20 odd messages', () => new Set(seen.map((m) => m.keys![0])).size === 20, 30_000);
    const again = seen.filter((m) => m.keys![0] === 't-5');
    expect(again).toHaveLength(1);
    // It came back through the group's retry topic, under its own topic name.
    expect(again[0]!.topic).toBe(topic);
    expect(again[0]!.reconsumeTimes).toBe(1);
  });

  it('reads with an async iterator; unacknowledged messages come back to the next member', async () => {
    const topic = 'iterated';
    await createTopic(topic, 1);
    await sendMany(topic, 'it', 10, 1);
    const first = consumer({ group: 'iter', subscriptions: { [topic]: '*' } });
    await first.start();
    const seen: number[] = [];
    for await (const m of first.messages()) {
      seen.push(m.queueOffset);
      if (seen.length === 6) break; // message 5 is left unacknowledged: break does not ack
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    await first.shutdown();
    expect((await admin.consumerProgress('iter', topic))[0]!.consumerOffset).toBe(5);

    const second = consumer({ group: 'iter', subscriptions: { [topic]: '*' } });
    await second.start();
    const rest: ReceivedMessage[] = [];
    for await (const m of second.messages({ ack: 'manual' })) {
      rest.push(m);
      if (rest.length === 5) break;
    }
    expect(rest.map((m) => m.queueOffset)).toEqual([5, 6, 7, 8, 9]);
    // Manual acks in any order: the committed offset is the smallest unacknowledged one.
    second.ack(rest[4]!);
    second.ack(rest[0]!);
    second.ack(rest[2]!);
    await second.shutdown();
    expect((await admin.consumerProgress('iter', topic))[0]!.consumerOffset).toBe(6);
  });

  it('starts over when an admin resets the group offsets to a time', async () => {
    const topic = 'rewind';
    await createTopic(topic, 2);
    const c = consumer({ group: 'rewinder', subscriptions: { [topic]: '*' } });
    const keys: string[] = [];
    c.onMessage((msgs) => {
      for (const m of msgs) keys.push(m.keys![0]!);
    });
    await c.start();
    await sendMany(topic, 'r', 30, 4);
    await waitFor('the first reading', () => keys.length === 30, 30_000);
    const table = await admin.resetOffsetByTime('rewinder', topic, 0);
    expect(table.map((e) => [e.mq.queueId, e.offset])).toEqual([[0, 0], [1, 0]]);
    await waitFor('the second reading', () => keys.length === 60, 30_000);
    expect(keys.slice(30).sort()).toEqual(keys.slice(0, 30).sort());
  });

  it('redelivers locally in BROADCASTING, where there is no retry topic', async () => {
    const topic = 'local-retry';
    await createTopic(topic, 1);
    const dir = tempDir('tern-offsets-');
    const c = consumer({ group: 'bc-retry', messageModel: 'BROADCASTING', subscriptions: { [topic]: '*' }, offsetStoreDir: dir, reconsumeDelayMs: 50 });
    const order: string[] = [];
    let failures = 0;
    c.onMessage((msgs) => {
      for (const m of msgs) {
        if (m.keys![0] === 'l-2' && failures < 2) {
          failures++;
          throw new Error('try again');
        }
        order.push(m.keys![0]!);
      }
    });
    await c.start();
    await sendMany(topic, 'l', 5, 1);
    await waitFor('all 5', () => order.length === 5, 30_000);
    // The queue waits for the failed message: order is kept.
    expect(order).toEqual(['l-0', 'l-1', 'l-2', 'l-3', 'l-4']);
    await c.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
