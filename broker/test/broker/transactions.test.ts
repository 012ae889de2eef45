import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessage, decodeStoredMessages } from '../../src/message/stored-message.ts';
import { encodeJson, SystemTopic } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode, type RemotingCommand } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { parseSamples, sampleSum } from '../../src/harness/prometheus-text.ts';

const log = createLogger('test');
let cluster: LocalCluster;
let producer: RemotingClient;
const checks: RemotingCommand[] = [];
let answer: number | undefined;

beforeAll(async () => {
  cluster = await startLocalCluster({ transactionCheckInterval: 300, transactionTimeOut: 200 });
  // The producer answers check-backs the way the Java client does: END_TRANSACTION oneway, fromTransactionCheck=true.
  producer = new RemotingClient({
    logger: log,
    handler: (req, conn) => {
      if (req.code !== RequestCode.CHECK_TRANSACTION_STATE) return undefined;
      checks.push(req);
      if (answer !== undefined) {
        conn.invokeOneway(createRequest(RequestCode.END_TRANSACTION, {
          producerGroup: 'tx-group', tranStateTableOffset: req.extFields!.tranStateTableOffset, commitLogOffset: req.extFields!.commitLogOffset,
          commitOrRollback: answer, fromTransactionCheck: true, msgId: req.extFields!.msgId, transactionId: req.extFields!.transactionId,
        }));
      }
      return undefined;
    },
  });
  await producer.invoke(cluster.brokerAddr, createRequest(RequestCode.HEART_BEAT, undefined,
    encodeJson({ clientID: 'txp', producerDataSet: [{ groupName: 'tx-group' }], consumerDataSet: [] })));
});
afterAll(async () => {
  await producer.close();
  await cluster.stop();
});

async function sendHalf(key: string) {
  const r = await producer.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'tx-group', b: 'tx-topic', c: 'TBW102', d: 4, e: 1, f: 0x4, g: Date.now(), h: 0,
    i: encodeProperties({ TRAN_MSG: 'true', PGROUP: 'tx-group', UNIQ_KEY: key, KEYS: key }), m: false,
  }, Buffer.from(`body ${key}`)));
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return { commitLogOffset: decodeOffsetMsgId(r.extFields!.msgId!).offset, tranStateTableOffset: Number(r.extFields!.queueOffset), transactionId: r.extFields!.transactionId };
}
function end(half: { commitLogOffset: number; tranStateTableOffset: number }, outcome: number) {
  producer.invokeOneway(cluster.brokerAddr, createRequest(RequestCode.END_TRANSACTION, {
    producerGroup: 'tx-group', ...half, commitOrRollback: outcome, fromTransactionCheck: false,
  }));
}
async function visible(): Promise<string[]> {
  const r = await producer.invoke(cluster.brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'txc', topic: 'tx-topic', queueId: 1, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
    suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
  }));
  return r.code === ResponseCode.SUCCESS ? decodeStoredMessages(r.body!).map((m) => m.properties.get('KEYS')!) : [];
}

describe('transactional messages', () => {
  it('applies the half message\'s delay level when the transaction commits, not at once', async () => {
    const store = cluster.broker.context.store;
    const r = await producer.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'tx-group', b: 'tx-delay-topic', c: 'TBW102', d: 4, e: 0, f: 0x4, g: Date.now(), h: 0,
      i: encodeProperties({ TRAN_MSG: 'true', PGROUP: 'tx-group', UNIQ_KEY: 'delayed', KEYS: 'delayed', DELAY: '1' }), m: false,
    }, Buffer.from('body delayed')));
    expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
    const scheduledBefore = store.getMaxOffsetInQueue(SystemTopic.SCHEDULE, 0);
    const committedAt = Date.now();
    end({ commitLogOffset: decodeOffsetMsgId(r.extFields!.msgId!).offset, tranStateTableOffset: Number(r.extFields!.queueOffset) }, 8);
    await waitFor('the committed copy in level 1 of SCHEDULE_TOPIC_XXXX', () => store.getMaxOffsetInQueue(SystemTopic.SCHEDULE, 0) === scheduledBefore + 1);
    expect(store.getMaxOffsetInQueue('tx-delay-topic', 0)).toBe(0);
    await waitFor('delivery after the level 1 delay', () => store.getMaxOffsetInQueue('tx-delay-topic', 0) === 1);
    // Level 1 is 1 s: delivered no earlier than that after the commit.
    expect(Date.now() - committedAt).toBeGreaterThanOrEqual(900);
  });

  it('keeps a half message invisible until commit, and drops it on rollback', async () => {
    const halves = () => cluster.broker.context.store.getMaxOffsetInQueue(SystemTopic.TRANS_HALF, 0);
    const before = halves();
    const a = await sendHalf('commit-me');
    expect(a.transactionId).toBe('commit-me');
    const b = await sendHalf('roll-me-back');
    await waitFor('both halves dispatched', () => halves() === before + 2);
    expect(await visible()).toEqual([]);
    end(a, 8);
    end(b, 12);
    await waitFor('the committed copy visible', async () => (await visible()).includes('commit-me'));
    expect(await visible()).toEqual(['commit-me']);
    const ended = async () => {
      const s = parseSamples(await cluster.broker.context.metrics.registry.metrics());
      return [sampleSum(s, 'rocketmq_commit_messages_total', { topic: 'tx-topic' }), sampleSum(s, 'rocketmq_rollback_messages_total', { topic: 'tx-topic' })];
    };
    await waitFor('the rollback counted', async () => (await ended())[1] === 1);
    expect(await ended()).toEqual([1, 1]);
  });

  it('resolves an UNKNOWN transaction by checking back with the producer group', async () => {
    answer = undefined;
    const c = await sendHalf('ask-me');
    end(c, 0);
    const check = await waitFor('a check-back for ask-me', () => checks.find((k) => k.extFields!.msgId === 'ask-me'));
    expect(check.extFields).toMatchObject({ topic: 'tx-topic', tranStateTableOffset: String(c.tranStateTableOffset), commitLogOffset: String(c.commitLogOffset) });
    const body = decodeStoredMessage(check.body!);
    expect(body).toMatchObject({ topic: 'tx-topic', queueId: 1 });
    expect(body.body.toString()).toBe('body ask-me');
    expect(await visible()).toEqual(['commit-me']);
    answer = 8;
    await waitFor('ask-me committed by the check-back answer', async () => (await visible()).length >= 2);
    expect(await visible()).toEqual(['commit-me', 'ask-me']);
    // Resolved: no more check-backs for it. A check-back for a newer half proves a check round ran since.
    const n = checks.length;
    answer = 12;
    await sendHalf('probe');
    await waitFor('a check-back for the probe half', () => checks.slice(n).some((k) => k.extFields!.msgId === 'probe'));
    answer = undefined;
    expect(checks.slice(n).some((k) => k.extFields!.msgId === 'ask-me')).toBe(false);
  });

  it('refuses an END_TRANSACTION that names the wrong group or offsets', async () => {
    const d = await sendHalf('guarded');
    const wrong = await producer.invoke(cluster.brokerAddr, createRequest(RequestCode.END_TRANSACTION, {
      producerGroup: 'someone-else', ...d, commitOrRollback: 8, fromTransactionCheck: false,
    }));
    expect(wrong.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(wrong.remark).toMatch(/producer group/);
    end(d, 12);
  });
});
