import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin, Producer, PushConsumer, type ReceivedMessage } from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let requester: Producer;
let replier: Producer;
let responder: PushConsumer;
const requests: ReceivedMessage[] = [];
const topic = 'rr-requests';
const replyTopic = 'DefaultCluster_REPLY_TOPIC';

beforeAll(async () => {
  cluster = await startLocalCluster();
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  for (const t of [topic, 'rr-silent']) {
    await admin.createTopic(t, { readQueueNums: 2, writeQueueNums: 2, brokerAddr: cluster.brokerAddr });
    await waitFor(`a route for ${t}`, async () => (await admin.topicRoute(t)).queueDatas.length > 0);
  }
  requester = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'rr-requester' });
  await requester.start();
  replier = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'rr-replier' });
  await replier.start();
  responder = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'rr-responder', subscriptions: { [topic]: '*' }, consumeFrom: 'first' });
  responder.onMessage(async (msgs) => {
    for (const m of msgs) {
      requests.push(m);
      await replier.reply(m, { body: `pong:${m.body.toString()}`, tags: 'answer' });
    }
  });
  await responder.start();
  await waitFor('the responder owning the queues', () => responder.assignedQueues(topic).length === 2, 30_000);
});

afterAll(async () => {
  await responder?.shutdown();
  await requester?.shutdown();
  await replier?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

describe('request-reply against a real broker', () => {
  it('gets the reply pushed by the broker, matched by correlation id', async () => {
    const reply = await requester.request({ topic, body: Buffer.from('ping') }, 10_000);
    expect(reply.body.toString()).toBe('pong:ping');
    expect(reply.topic).toBe(replyTopic);
    expect(reply.tags).toBe('answer');
    const req = requests.find((m) => m.body.toString() === 'ping')!;
    expect(req.properties.get('REPLY_TO_CLIENT')).toBe(requester.clientId);
    expect(req.properties.get('TTL')).toBe('10000');
    expect(reply.correlationId).toBe(req.properties.get('CORRELATION_ID'));
    expect(reply.properties.get('MSG_TYPE')).toBe('reply');
    expect(Number(reply.properties.get('PUSH_REPLY_TIME'))).toBeGreaterThan(0);
  }, 30_000);

  it('keeps 20 concurrent requests apart', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => requester.request({ topic, body: Buffer.from(`n${i}`) }, 10_000)));
    expect(replies.map((r) => r.body.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `pong:n${i}`));
    expect(new Set(replies.map((r) => r.correlationId)).size).toBe(20);
  }, 30_000);

  it('rejects when no reply comes in time', async () => {
    const started = Date.now();
    await expect(requester.request({ topic: 'rr-silent', body: Buffer.from('hello?') }, 500)).rejects.toThrow(/no reply to request .* within/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('a reply to a requester that is gone fails with the reason, and the broker still keeps a copy', async () => {
    const req = requests[0]!;
    const before = cluster.broker.context.store.getMaxOffsetInQueue(replyTopic, 0);
    const orphan = { ...req, properties: new Map([...req.properties, ['REPLY_TO_CLIENT', '10.0.0.1@gone']]) };
    await expect(replier.reply(orphan, { body: 'late' })).rejects.toThrow(/channel of <10.0.0.1@gone> not found/);
    expect(cluster.broker.context.store.getMaxOffsetInQueue(replyTopic, 0)).toBe(before + 1);
    // Not a request at all: refused before sending.
    const plain = { ...req, properties: new Map([...req.properties].filter(([k]) => k !== 'CORRELATION_ID')) };
    expect(() => replier.reply(plain, { body: 'x' })).toThrow(/not a request/);
    // A reply naming no requester is refused by the broker.
    await expect(replier.send({ topic: replyTopic, body: Buffer.from('x'), properties: new Map([['MSG_TYPE', 'reply']]) }, { queue: { topic: replyTopic, brokerName: 'broker-a', queueId: 0 } }))
      .rejects.toThrow(/REPLY_TO_CLIENT/);
  }, 30_000);
});
