import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, LitePullConsumer, Producer, PullConsumer, type MessageQueue, type ReceivedMessage } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let producer: Producer;
const closers: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  producer = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'pull-producer' });
  await producer.start();
});

afterAll(async () => {
  for (const c of closers) await c.shutdown();
  await producer?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

async function createTopic(topic: string, queues: number): Promise<void> {
  await admin.createTopic(topic, { readQueueNums: queues, writeQueueNums: queues, brokerAddr: cluster.brokerAddr });
  await waitFor(`a route for ${topic}`, async () => (await admin.topicRoute(topic)).queueDatas[0]?.writeQueueNums === queues);
}

function lite(options: Partial<ConstructorParameters<typeof LitePullConsumer>[0]> & { group: string }): LitePullConsumer {
  const c = new LitePullConsumer({ namesrvAddr: cluster.namesrvAddr, consumeFrom: 'first', ...options });
  closers.push(c);
  return c;
}

async function sendTo(mq: MessageQueue, bodies: string[], tags?: string): Promise<void> {
  for (const body of bodies) await producer.send({ topic: mq.topic, body: Buffer.from(body), tags }, { queue: mq });
}

describe('LitePullConsumer', () => {
  it('subscribe mode: two members share the queues and poll every message once; commit stores the offsets', async () => {
    const topic = 'lite-sub';
    await createTopic(topic, 4);
    const a = lite({ group: 'lite-two', autoCommit: false }).subscribe(topic);
    const b = lite({ group: 'lite-two', autoCommit: false }).subscribe(topic);
    await a.start();
    await b.start();
    await waitFor('2 + 2 queues', () => a.assignment().length === 2 && b.assignment().length === 2, 30_000);
    for (let i = 0; i < 200; i++) await producer.send({ topic, body: Buffer.from(`m${i}`) });
    const got: { by: string; m: ReceivedMessage }[] = [];
    const drain = async (c: LitePullConsumer) => {
      while (got.length < 200) for (const m of await c.poll(200)) got.push({ by: c.clientId, m });
    };
    await Promise.race([Promise.all([drain(a), drain(b)]), new Promise((r) => setTimeout(r, 30_000))]);
    expect(new Set(got.map((g) => g.m.body.toString())).size).toBe(200);
    expect(got).toHaveLength(200);
    expect(new Set(got.map((g) => g.by)).size).toBe(2);
    // Nothing is committed until commit() (autoCommit off), then every queue's offset is its end.
    const mqs = [...a.assignment(), ...b.assignment()];
    expect((await Promise.all(mqs.map((mq) => a.committed(mq)))).every((o) => o <= 0)).toBe(true);
    await a.commit();
    await b.commit();
    const committed = await Promise.all(mqs.map((mq) => a.committed(mq)));
    expect(committed.reduce((x, y) => x + y, 0)).toBe(200);
  }, 60_000);

  it('assign mode: polls the assigned queue only, seeks back and to the ends, and returns [] after the timeout', async () => {
    const topic = 'lite-assign';
    await createTopic(topic, 2);
    const q0 = { topic, brokerName: 'broker-a', queueId: 0 };
    const q1 = { topic, brokerName: 'broker-a', queueId: 1 };
    await sendTo(q0, Array.from({ length: 10 }, (_, i) => `q0-${i}`));
    await sendTo(q1, ['q1-0']);
    const c = lite({ group: 'lite-assign', autoCommit: false, pullBatchSize: 4 });
    c.assign([q0]);
    expect(() => c.subscribe(topic)).toThrow(/assigned/);
    await c.start();
    expect(await c.fetchMessageQueues(topic)).toEqual([q0, q1]);
    const polled: ReceivedMessage[] = [];
    while (polled.length < 10) {
      const batch = await c.poll(2_000);
      expect(batch.length).toBeGreaterThan(0);
      expect(batch.length).toBeLessThanOrEqual(4);
      polled.push(...batch);
    }
    expect(polled.map((m) => m.body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `q0-${i}`));
    const t0 = Date.now();
    expect(await c.poll(300)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    await c.commit();
    expect(await c.committed(q0)).toBe(10);
    c.seek(q0, 7);
    expect((await c.poll(2_000)).map((m) => m.queueOffset)).toEqual([7, 8, 9]);
    await c.seekToBegin(q0);
    expect((await c.poll(2_000))[0]!.queueOffset).toBe(0);
    await c.seekToEnd(q0);
    expect(await c.poll(300)).toEqual([]);
    expect(() => c.seek(q1, 0)).toThrow(/not read/);
    // Seeking is not committing: the broker still has 10 until commit().
    expect(await c.committed(q0)).toBe(10);
    await c.commit();
    expect(await c.committed(q0)).toBe(10);
  }, 60_000);

  it('autoCommit commits what was polled, on its own', async () => {
    const topic = 'lite-auto';
    await createTopic(topic, 1);
    const q0 = { topic, brokerName: 'broker-a', queueId: 0 };
    await sendTo(q0, ['a', 'b', 'c']);
    const c = lite({ group: 'lite-auto', autoCommitIntervalMs: 200 }).subscribe(topic);
    await c.start();
    const got: string[] = [];
    await waitFor('3 polled', async () => { got.push(...(await c.poll(200)).map((m) => m.body.toString())); return got.length === 3; }, 20_000);
    await waitFor('offset 3 committed', async () => (await c.committed(q0)) === 3, 10_000);
  }, 40_000);
});

describe('PullConsumer', () => {
  it('pulls by queue and offset, filters by tag, reports the end and bad offsets, stores offsets, and can block for new messages', async () => {
    const topic = 'plain-pull';
    await createTopic(topic, 1);
    const c = new PullConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'plain-pullers' });
    closers.push(c);
    await c.start();
    const [mq] = await c.fetchSubscribeMessageQueues(topic);
    await sendTo(mq!, ['x0', 'x1'], 'X');
    await sendTo(mq!, ['y2'], 'Y');

    const all = await c.pull(mq!, 0);
    expect(all.status).toBe('FOUND');
    expect(all.msgs.map((m) => m.body.toString())).toEqual(['x0', 'x1', 'y2']);
    expect(all.nextBeginOffset).toBe(3);
    expect(all.maxOffset).toBe(3);
    const onlyY = await c.pull(mq!, 0, { expression: 'Y' });
    expect(onlyY.msgs.map((m) => m.body.toString())).toEqual(['y2']);
    const two = await c.pull(mq!, 0, { maxNums: 2 });
    expect(two.msgs).toHaveLength(2);
    expect(two.nextBeginOffset).toBe(2);
    expect((await c.pull(mq!, 3)).status).toBe('NO_NEW_MSG');
    expect((await c.pull(mq!, 100)).status).toBe('OFFSET_ILLEGAL');
    expect(await c.minOffset(mq!)).toBe(0);
    expect(await c.maxOffset(mq!)).toBe(3);

    expect(await c.fetchConsumeOffset(mq!)).toBe(-1);
    await c.updateConsumeOffset(mq!, 2);
    expect(await c.fetchConsumeOffset(mq!)).toBe(2);

    const t0 = Date.now();
    const held = c.pull(mq!, 3, { blockMs: 5_000 });
    await new Promise((r) => setTimeout(r, 300));
    await sendTo(mq!, ['late']);
    const late = await held;
    expect(late.status).toBe('FOUND');
    expect(late.msgs.map((m) => m.body.toString())).toEqual(['late']);
    expect(Date.now() - t0).toBeLessThan(4_000);
  }, 40_000);
});
