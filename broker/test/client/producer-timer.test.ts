import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, ClientError, Producer, PushConsumer, type ReceivedMessage } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let producer: Producer;

beforeAll(async () => {
  cluster = await startLocalCluster();
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'timer-producer' });
  await producer.start();
});
afterAll(async () => {
  await producer?.shutdown();
  await cluster?.stop();
});

describe('Producer.send with deliverAt / delayMs', () => {
  it('delivers each message at its time, not before, with its id and keys; a push consumer receives them', async () => {
    const received: { m: ReceivedMessage; at: number }[] = [];
    const consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'timer-consumer', consumeFrom: 'first' });
    consumer.subscribe('ts-timer', '*');
    consumer.onMessage((msgs) => {
      for (const m of msgs) received.push({ m, at: Date.now() });
    });
    await consumer.start();
    try {
      const sentAt = Date.now();
      const a = await producer.send({ topic: 'ts-timer', body: Buffer.from('a'), keys: ['in-800'] }, { delayMs: 800 });
      const b = await producer.send({ topic: 'ts-timer', body: Buffer.from('b'), keys: ['at-400'] }, { deliverAt: new Date(sentAt + 400) });
      const c = await producer.send({ topic: 'ts-timer', body: Buffer.from('c'), keys: ['now'] });
      await waitFor('three messages', () => received.length >= 3, 15_000);
      const byKey = new Map(received.map((r) => [r.m.keys?.[0] ?? '', r]));
      expect(byKey.get('now')!.m.msgId).toBe(c.msgId);
      expect(byKey.get('at-400')!.m.msgId).toBe(b.msgId);
      expect(byKey.get('at-400')!.m.storeTimestamp).toBeGreaterThanOrEqual(sentAt + 400);
      expect(byKey.get('in-800')!.m.msgId).toBe(a.msgId);
      expect(byKey.get('in-800')!.m.storeTimestamp).toBeGreaterThanOrEqual(sentAt + 800);
      // The consumer may take queues in any order; the broker stored the delayed ones in due order.
      const stored = ['now', 'at-400', 'in-800'].map((k) => byKey.get(k)!.m.storeTimestamp);
      expect(stored).toEqual([...stored].sort((x, y) => x - y));
    } finally {
      await consumer.shutdown();
    }
  });

  it('refuses both options at once, a bad value, and a delayed batch, before sending', async () => {
    const msg = { topic: 'ts-timer-bad', body: Buffer.from('x') };
    await expect(producer.send(msg, { delayMs: 10, deliverAt: Date.now() })).rejects.toThrow(ClientError);
    await expect(producer.send(msg, { delayMs: 1.5 })).rejects.toThrow(/delayMs must be a whole number/);
    await expect(producer.send(msg, { deliverAt: new Date(Number.NaN) })).rejects.toThrow(/deliverAt must be a whole number/);
    await expect(producer.sendBatch([msg], { delayMs: 100 })).rejects.toThrow(/a batch cannot be delayed/);
  });

  it('recall: a recalled timer is never delivered; recalling one already delivered says so', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      const topic = 'ts-timer-recall';
      const send = (key: string) => producer.send({ topic, body: Buffer.from(key), keys: [key] }, { delayMs: 1500 });
      const [byHandle, byAdmin, kept] = [await send('by-handle'), await send('by-admin'), await send('kept')];
      expect(byHandle.recallHandle).toMatch(/^[A-Za-z0-9_-]+=*$/);
      expect(await producer.recall(byHandle.recallHandle!)).toBe(byHandle.msgId);
      expect(await admin.recall(topic, byAdmin.msgId)).toMatchObject({ brokerName: expect.any(String) as string });
      const stored = async () => (await admin.topicStatus(topic)).reduce((a, q) => a + q.maxOffset, 0);
      await waitFor('the kept timer delivered', async () => (await stored()) >= 1, 15_000);
      // Past the due time of all three: only the one not recalled was delivered.
      await new Promise((r) => setTimeout(r, 500));
      expect(await stored()).toBe(1);
      await expect(producer.recall(kept.recallHandle!)).rejects.toThrow(/recall failed, timestamp invalid: .* has been delivered/);
      await expect(admin.recall(topic, kept.msgId)).rejects.toThrow(/has been delivered: too late to recall/);
      await expect(producer.recall('bm90IGEgaGFuZGxl')).rejects.toThrow(/recall handle is invalid/);
    } finally {
      await admin.shutdown();
    }
  });

  it('refuses recall with NO_PERMISSION while recallMessageEnable=false, as RocketMQ does', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      const r = await producer.send({ topic: 'ts-timer-no-recall', body: Buffer.from('x') }, { delayMs: 60_000 });
      await admin.updateBrokerConfig(cluster.brokerAddr, { recallMessageEnable: false });
      await expect(producer.recall(r.recallHandle!)).rejects.toThrow(/operation is forbidden \(recallMessageEnable=false\)/);
      await admin.updateBrokerConfig(cluster.brokerAddr, { recallMessageEnable: true });
      expect(await producer.recall(r.recallHandle!)).toBe(r.msgId);
    } finally {
      await admin.shutdown();
    }
  });

  it('a recall racing the due time answers truly: recalled and never delivered, or refused as delivered', async () => {
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 8; i++) {
        const topic = `ts-timer-race-${i}`;
        const sent = await producer.send({ topic, body: Buffer.from('r') }, { delayMs: 5 + i * 5 });
        const answer = await producer.recall(sent.recallHandle!).then(() => 'recalled', (err: Error) => {
          expect(err.message).toMatch(/has been delivered/);
          return 'delivered';
        });
        await new Promise((r) => setTimeout(r, 300));
        const stored = (await admin.topicStatus(topic)).reduce((a, q) => a + q.maxOffset, 0);
        expect(stored, `${topic}: the recall answered ${answer}`).toBe(answer === 'recalled' ? 0 : 1);
        outcomes.push(answer);
      }
      expect(outcomes.length).toBe(8);
    } finally {
      await admin.shutdown();
    }
  });
});
