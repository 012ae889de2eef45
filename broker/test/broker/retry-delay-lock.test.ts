import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { encodeJson } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';
import { parseSamples, sampleSum } from '../../src/harness/prometheus-text.ts';

const log = createLogger('test');
let cluster: LocalCluster;
let client: RemotingClient;

beforeAll(async () => {
  // Short delay levels keep the test quick; level 3 (first retry) is 1 s here instead of 10 s.
  cluster = await startLocalCluster({ messageDelayLevel: '1s 1s 1s 2s 2s 2s' });
  client = new RemotingClient({ logger: log });
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});
const broker = () => cluster.brokerAddr;

function send(topic: string, body: string, props: Record<string, string>, queueId = 0) {
  return client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: encodeProperties(props), m: false,
  }, Buffer.from(body)));
}
async function pullAll(topic: string, queueId: number, group = 'g') {
  const r = await client.invoke(broker(), createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic, queueId, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
    suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
  }));
  return r.code === ResponseCode.SUCCESS ? decodeStoredMessages(r.body!) : [];
}
describe('delay levels, retry and DLQ, queue locks', () => {
  it('delivers a delayed message to its real topic and queue no earlier than due', async () => {
    const sentAt = Date.now();
    const r = await send('delay-topic', 'later', { DELAY: '4', UNIQ_KEY: 'D1' }, 2);
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(r.extFields?.queueId).toBe('2');
    expect(await pullAll('delay-topic', 2)).toHaveLength(0);
    const msgs = await waitFor('the delayed message on delay-topic queue 2', async () => { const m = await pullAll('delay-topic', 2); return m.length > 0 && m; }, 8000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1900);
    expect(msgs[0]!.body.toString()).toBe('later');
    expect(msgs[0]!.properties.get('DELAY')).toBeUndefined();
    expect(msgs[0]!.properties.get('UNIQ_KEY')).toBe('D1');
  });

  it('sends a failed message back to %RETRY%group, then to %DLQ%group after maxReconsumeTimes', async () => {
    await send('work-topic', 'job', { UNIQ_KEY: 'J1', KEYS: 'job-1' });
    const [original] = await pullAll('work-topic', 0, 'workers');
    const back = (offset: number, max: number) => client.invoke(broker(), createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset, group: 'workers', delayLevel: 0, originMsgId: 'J1', originTopic: 'work-topic', unitMode: false, maxReconsumeTimes: max,
    }));
    expect((await back(original!.commitLogOffset, 2)).code).toBe(ResponseCode.SUCCESS);
    const retried = await waitFor('the first retry in %RETRY%workers', async () => { const m = await pullAll('%RETRY%workers', 0, 'workers'); return m.length > 0 && m; }, 8000);
    expect(retried[0]).toMatchObject({ reconsumeTimes: 1 });
    expect(retried[0]!.properties.get('RETRY_TOPIC')).toBe('work-topic');
    expect(retried[0]!.properties.get('ORIGIN_MESSAGE_ID')).toBe('J1');
    expect(retried[0]!.body.toString()).toBe('job');

    expect((await back(retried[0]!.commitLogOffset, 2)).code).toBe(ResponseCode.SUCCESS);
    const second = await waitFor('the second retry in %RETRY%workers', async () => { const m = await pullAll('%RETRY%workers', 0, 'workers'); return m.length > 1 && m; }, 8000);
    expect(second[1]!.reconsumeTimes).toBe(2);
    // reconsumeTimes 2 >= max 2: dead letter, right away.
    expect((await back(second[1]!.commitLogOffset, 2)).code).toBe(ResponseCode.SUCCESS);
    const dead = await pullAll('%DLQ%workers', 0, 'workers');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.properties.get('KEYS')).toBe('job-1');
    expect(dead[0]!.reconsumeTimes).toBe(3);
    const samples = parseSamples(await cluster.broker.context.metrics.registry.metrics());
    expect(sampleSum(samples, 'rocketmq_send_to_dlq_messages_total', { topic: 'work-topic', consumer_group: 'workers' })).toBe(1);
  });

  it('honours the group retryMaxTimes set with UPDATE_AND_CREATE_SUBSCRIPTIONGROUP', async () => {
    const up = await client.invoke(broker(), createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined,
      encodeJson({ groupName: 'strict', retryMaxTimes: 0, consumeEnable: true })));
    expect(up.code).toBe(ResponseCode.SUCCESS);
    await send('work-topic', 'job2', { UNIQ_KEY: 'J2' });
    const msgs = await pullAll('work-topic', 0, 'strict');
    const r = await client.invoke(broker(), createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: msgs.at(-1)!.commitLogOffset, group: 'strict', delayLevel: 0, originMsgId: 'J2', originTopic: 'work-topic',
    }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect((await pullAll('%DLQ%strict', 0, 'strict')).map((m) => m.body.toString())).toEqual(['job2']);
    const all = JSON.parse((await client.invoke(broker(), createRequest(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG))).body!.toString());
    expect(all.subscriptionGroupTable.strict.retryMaxTimes).toBe(0);
    // A disabled group may not pull.
    await client.invoke(broker(), createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, encodeJson({ groupName: 'off', consumeEnable: false })));
    const refused = await client.invoke(broker(), createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'off', topic: 'work-topic', queueId: 0, queueOffset: 0, maxMsgNums: 1, sysFlag: 0x4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0,
    }));
    expect(refused.code).toBe(ResponseCode.NO_PERMISSION);
  });

  it('locks queues for one orderly client at a time', async () => {
    const mq = (queueId: number) => ({ topic: 'ordered', brokerName: 'broker-a', queueId });
    const lock = async (clientId: string, ids: number[]) => {
      const r = await client.invoke(broker(), createRequest(RequestCode.LOCK_BATCH_MQ, undefined,
        encodeJson({ consumerGroup: 'og', clientId, onlyThisBroker: true, mqSet: ids.map(mq) })));
      return (JSON.parse(r.body!.toString()).lockOKMQSet as { queueId: number }[]).map((m) => m.queueId).sort();
    };
    expect(await lock('A', [0, 1])).toEqual([0, 1]);
    expect(await lock('B', [0, 1, 2])).toEqual([2]);
    expect(await lock('A', [0, 1])).toEqual([0, 1]);
    await client.invoke(broker(), createRequest(RequestCode.UNLOCK_BATCH_MQ, undefined, encodeJson({ consumerGroup: 'og', clientId: 'A', mqSet: [mq(0)] })));
    expect(await lock('B', [0, 1])).toEqual([0]);
  });
});
