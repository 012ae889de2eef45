import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Admin, Producer, PushConsumer, TransactionProducer, type LocalTransactionState, type ReceivedMessage,
} from '../../src/client/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

let cluster: LocalCluster;
let admin: Admin;
let producer: TransactionProducer;
let plain: Producer;
let consumer: PushConsumer;
const delivered: ReceivedMessage[] = [];
/** What executeLocalTransaction and checkLocalTransaction answer, by body. */
const executeAnswers = new Map<string, LocalTransactionState | 'throw'>();
const checkAnswers = new Map<string, LocalTransactionState>();
const checked: { body: string; transactionId: string; topic: string }[] = [];
const executed: { body: string; transactionId: string; arg: unknown }[] = [];
const topic = 'tx-orders';

beforeAll(async () => {
  // Undecided half messages are checked back after 200 ms, every 300 ms.
  cluster = await startLocalCluster({ transactionCheckInterval: 300, transactionTimeOut: 200 });
  admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
  await admin.createTopic(topic, { readQueueNums: 1, writeQueueNums: 1, brokerAddr: cluster.brokerAddr });
  await waitFor(`a route for ${topic}`, async () => (await admin.topicRoute(topic)).queueDatas.length > 0);
  producer = new TransactionProducer({
    namesrvAddr: cluster.namesrvAddr,
    group: 'tx-producer',
    transactionListener: {
      executeLocalTransaction(msg, arg) {
        const body = msg.body.toString();
        executed.push({ body, transactionId: msg.transactionId, arg });
        const answer = executeAnswers.get(body) ?? 'COMMIT_MESSAGE';
        if (answer === 'throw') throw new Error('local database is down');
        return answer;
      },
      async checkLocalTransaction(msg) {
        const body = msg.body.toString();
        checked.push({ body, transactionId: msg.transactionId, topic: msg.topic });
        return checkAnswers.get(body) ?? 'UNKNOW';
      },
    },
  });
  await producer.start();
  plain = new Producer({ namesrvAddr: cluster.namesrvAddr, group: 'tx-plain' });
  await plain.start();
  consumer = new PushConsumer({ namesrvAddr: cluster.namesrvAddr, group: 'tx-readers', subscriptions: { [topic]: '*' }, consumeFrom: 'first' });
  consumer.onMessage((msgs) => {
    delivered.push(...msgs);
  });
  await consumer.start();
});

afterAll(async () => {
  await consumer?.shutdown();
  await producer?.shutdown();
  await plain?.shutdown();
  await admin?.shutdown();
  await cluster?.stop();
});

const bodies = () => delivered.map((m) => m.body.toString());

describe('TransactionProducer against a real broker', () => {
  it('delivers committed messages, never rolled-back ones, and resolves unknown ones by check-back', async () => {
    executeAnswers.set('commit', 'COMMIT_MESSAGE');
    executeAnswers.set('rollback', 'ROLLBACK_MESSAGE');
    executeAnswers.set('unknown-then-commit', 'UNKNOW');
    executeAnswers.set('throws-then-rollback', 'throw');
    checkAnswers.set('unknown-then-commit', 'COMMIT_MESSAGE');
    checkAnswers.set('throws-then-rollback', 'ROLLBACK_MESSAGE');

    const commit = await producer.sendMessageInTransaction({ topic, body: Buffer.from('commit'), keys: ['c1'] }, { order: 1 });
    expect(commit.localTransactionState).toBe('COMMIT_MESSAGE');
    expect(executed[0]).toEqual({ body: 'commit', transactionId: commit.transactionId ?? commit.msgId, arg: { order: 1 } });
    const rollback = await producer.sendMessageInTransaction({ topic, body: Buffer.from('rollback') });
    expect(rollback.localTransactionState).toBe('ROLLBACK_MESSAGE');
    const unknown = await producer.sendMessageInTransaction({ topic, body: Buffer.from('unknown-then-commit') });
    expect(unknown.localTransactionState).toBe('UNKNOW');
    const throws = await producer.sendMessageInTransaction({ topic, body: Buffer.from('throws-then-rollback') });
    expect(throws.localTransactionState).toBe('UNKNOW');
    expect((throws.localError as Error).message).toBe('local database is down');

    await waitFor('the committed message', () => bodies().includes('commit'), 10_000);
    // Only the undecided ones are checked; the check sees the real topic and the transaction id.
    await waitFor('both undecided messages checked and the check-committed one delivered', () =>
      checked.some((c) => c.body === 'throws-then-rollback') && bodies().includes('unknown-then-commit'), 15_000);
    const check = checked.find((c) => c.body === 'unknown-then-commit')!;
    expect(check.topic).toBe(topic);
    expect(check.transactionId).toBe(unknown.transactionId ?? unknown.msgId);
    expect(checked.some((c) => c.body === 'commit' || c.body === 'rollback')).toBe(false);

    // A marker sent after every decision: once it is read, whatever was committed is there too.
    await plain.send({ topic, body: Buffer.from('marker') });
    await waitFor('the marker', () => bodies().includes('marker'), 10_000);
    expect(bodies().sort()).toEqual(['commit', 'marker', 'unknown-then-commit']);
    // Rolled-back and committed half messages are not checked again.
    const settledChecks = checked.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(checked.slice(settledChecks)).toEqual([]);
  }, 60_000);

  it('keeps asking while the check answers UNKNOW', async () => {
    executeAnswers.set('undecided', 'UNKNOW');
    await producer.sendMessageInTransaction({ topic, body: Buffer.from('undecided') });
    await waitFor('two checks of the same half message', () => checked.filter((c) => c.body === 'undecided').length >= 2, 15_000);
    expect(bodies()).not.toContain('undecided');
    checkAnswers.set('undecided', 'COMMIT_MESSAGE');
    await waitFor('the message committed by a later check', () => bodies().includes('undecided'), 15_000);
  }, 40_000);
});
