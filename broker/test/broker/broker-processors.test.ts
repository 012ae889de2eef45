import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatchBody } from '../../src/message/batch-body.ts';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { encodeJson, type TopicRouteData } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode, SerializeType } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

const log = createLogger('test');
let cluster: LocalCluster;
let client: RemotingClient;

beforeAll(async () => {
  cluster = await startLocalCluster();
  client = new RemotingClient({ logger: log });
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});

const broker = () => cluster.brokerAddr;

function sendV2(topic: string, body: string, props: Record<string, string>, queueId = 0, type: 0 | 1 = SerializeType.JSON) {
  return client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: encodeProperties(props), j: 0, k: false, m: false,
  }, Buffer.from(body), type));
}

function pull(topic: string, queueId: number, queueOffset: number, extra: Record<string, string | number> = {}) {
  return client.invoke(broker(), createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: 'cg', topic, queueId, queueOffset, maxMsgNums: 32, sysFlag: 0x4 | 0x2, commitOffset: 0,
    suspendTimeoutMillis: 1000, subscription: '*', subVersion: 0, expressionType: 'TAG', ...extra,
  }), 10_000);
}

async function route(topic: string): Promise<TopicRouteData | undefined> {
  const r = await client.invoke(cluster.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
  return r.code === ResponseCode.SUCCESS ? JSON.parse(r.body!.toString()) : undefined;
}

describe('broker processors', () => {
  it('answers SEND_MESSAGE_V2 as the Java client needs, and auto-creates the topic in the namesrv', async () => {
    for (const type of [SerializeType.JSON, SerializeType.ROCKETMQ] as const) {
      const r = await sendV2('auto-topic', 'hello', { UNIQ_KEY: 'U1', KEYS: 'k1', TAGS: 'TagA', WAIT: 'true' }, 1, type);
      expect(r.code).toBe(ResponseCode.SUCCESS);
      expect(r.serializeType).toBe(type);
      expect(r.extFields).toMatchObject({ queueId: '1', transactionId: 'U1', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
      const id = decodeOffsetMsgId(r.extFields!.msgId!);
      expect(id.address).toBe('127.0.0.1');
      expect(id.port).toBe(cluster.broker.port);
    }
    const rt = await waitFor('a route for auto-topic', () => route('auto-topic'));
    expect(rt.queueDatas[0]).toMatchObject({ brokerName: 'broker-a', writeQueueNums: 4, perm: 6 });
  });

  it('accepts SEND_MESSAGE with long header names and SEND_BATCH_MESSAGE with consecutive offsets', async () => {
    const single = await client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE, {
      producerGroup: 'pg', topic: 'batch-topic', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag: 0,
      bornTimestamp: Date.now(), flag: 0, properties: encodeProperties({ UNIQ_KEY: 'S0' }), reconsumeTimes: 0, unitMode: false,
    }, Buffer.from('one')));
    expect(single.code).toBe(ResponseCode.SUCCESS);
    const body = encodeBatchBody([0, 1, 2].map((i) => ({ flag: 0, body: Buffer.from(`m${i}`), properties: encodeProperties({ UNIQ_KEY: `B${i}`, KEYS: `bk${i}` }) })));
    const batch = await client.invoke(broker(), createRequest(RequestCode.SEND_BATCH_MESSAGE, {
      a: 'pg', b: 'batch-topic', c: 'TBW102', d: 4, e: 2, f: 0, g: Date.now(), h: 0, i: encodeProperties({ WAIT: 'true' }), j: 0, k: false, m: true,
    }, body));
    expect(batch.code).toBe(ResponseCode.SUCCESS);
    expect(batch.extFields!.msgId!.split(',')).toHaveLength(3);
    expect(batch.extFields!.queueOffset).toBe('1');
    const p = await pull('batch-topic', 2, 0);
    expect(p.code).toBe(ResponseCode.SUCCESS);
    const msgs = decodeStoredMessages(p.body!);
    expect(msgs.map((m) => [m.queueOffset, m.body.toString(), m.properties.get('UNIQ_KEY'), m.properties.get('WAIT')])).toEqual([
      [0, 'one', 'S0', undefined], [1, 'm0', 'B0', 'true'], [2, 'm1', 'B1', 'true'], [3, 'm2', 'B2', 'true'],
    ]);
    expect(msgs[1]!.properties.get('CLUSTER')).toBe('DefaultCluster');
  });

  it('refuses what it must: unknown topic without auto-create template, system topics, bad queue ids, retry batches', async () => {
    const noTemplate = await client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'pg', b: 'no-template', c: 'NOPE', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', m: false,
    }, Buffer.from('x')));
    expect(noTemplate.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect((await sendV2('SCHEDULE_TOPIC_XXXX', 'x', {})).code).toBe(ResponseCode.NO_PERMISSION);
    expect((await sendV2('auto-topic', 'x', {}, 99)).code).toBe(ResponseCode.SYSTEM_ERROR);
    expect((await sendV2('bad topic!', 'x', {})).code).toBe(ResponseCode.SYSTEM_ERROR);
    const missing = await client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'pg' }, Buffer.from('x')));
    expect(missing.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(missing.remark).toMatch(/topic/);
    const huge = await sendV2('auto-topic', 'x'.repeat(4 * 1024 * 1024 + 1), {});
    expect(huge.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });

  it('holds an empty pull and answers it as soon as a message arrives', async () => {
    await sendV2('poll-topic', 'first', { TAGS: 'a' }, 0);
    const first = await pull('poll-topic', 0, 0);
    expect(first.code).toBe(ResponseCode.SUCCESS);
    const next = Number(first.extFields!.nextBeginOffset);
    expect(next).toBe(1);
    const held = pull('poll-topic', 0, next, { suspendTimeoutMillis: 20_000 });
    await waitFor('the pull to be held', () => cluster.broker.context.pullHold.size === 1);
    const t0 = Date.now();
    await sendV2('poll-topic', 'second', { TAGS: 'a' }, 0);
    const r = await held;
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(decodeStoredMessages(r.body!)[0]!.body.toString()).toBe('second');
    expect(Date.now() - t0).toBeLessThan(5000); // woken by the message, not the 20 s suspend timeout
    // Nothing arrives: answered PULL_NOT_FOUND at the deadline with the offsets.
    const timeout = await pull('poll-topic', 0, 2, { suspendTimeoutMillis: 300 });
    expect(timeout.code).toBe(ResponseCode.PULL_NOT_FOUND);
    expect(timeout.extFields).toMatchObject({ nextBeginOffset: '2', maxOffset: '2', minOffset: '0' });
    const moved = await pull('poll-topic', 0, 50);
    expect(moved.code).toBe(ResponseCode.PULL_OFFSET_MOVED);
  });

  it('filters by tag on the ConsumeQueue', async () => {
    for (const tag of ['TagA', 'TagB', 'TagC', 'TagA']) await sendV2('tag-topic', tag, { TAGS: tag }, 0);
    const r = await pull('tag-topic', 0, 0, { subscription: 'TagA || TagC' });
    expect(decodeStoredMessages(r.body!).map((m) => m.body.toString())).toEqual(['TagA', 'TagC', 'TagA']);
  });

  it('registers consumers by heartbeat: retry topic, consumer list, offsets, NOTIFY_CONSUMER_IDS_CHANGED', async () => {
    const heartbeat = (clientID: string) => encodeJson({
      clientID, producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
      consumerDataSet: [{
        groupName: 'hb-group', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', unitMode: false,
        subscriptionDataSet: [{ topic: 'tag-topic', subString: 'TagB', tagsSet: ['TagB'], codeSet: [String(javaStringHash('TagB'))], subVersion: 1, expressionType: 'TAG', classFilterMode: false }],
      }],
    });
    const notified: string[] = [];
    const other = new RemotingClient({
      logger: log,
      handler: (req) => {
        if (req.code === RequestCode.NOTIFY_CONSUMER_IDS_CHANGED) notified.push(req.extFields!.consumerGroup!);
        return undefined;
      },
    });
    expect((await other.invoke(broker(), createRequest(RequestCode.HEART_BEAT, undefined, heartbeat('c1')))).code).toBe(ResponseCode.SUCCESS);
    expect((await client.invoke(broker(), createRequest(RequestCode.HEART_BEAT, undefined, heartbeat('c2')))).code).toBe(ResponseCode.SUCCESS);
    const list = await client.invoke(broker(), createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'hb-group' }));
    expect(JSON.parse(list.body!.toString()).consumerIdList.sort()).toEqual(['c1', 'c2']);
    await waitFor('NOTIFY_CONSUMER_IDS_CHANGED for hb-group', () => notified.includes('hb-group'));
    expect((await route('%RETRY%hb-group'))?.queueDatas[0]).toMatchObject({ readQueueNums: 1, writeQueueNums: 1 });

    // The broker uses the subscription learned from the heartbeat when the pull carries none.
    const r = await pull('tag-topic', 0, 0, { consumerGroup: 'hb-group', sysFlag: 0x2, subscription: '' });
    expect(decodeStoredMessages(r.body!).map((m) => m.body.toString())).toEqual(['TagB']);

    const q = (queueId: number) => client.invoke(broker(), createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'hb-group', topic: 'tag-topic', queueId }));
    expect((await q(0)).extFields?.offset).toBe('0'); // new group, queue head in memory
    client.invokeOneway(broker(), createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'hb-group', topic: 'tag-topic', queueId: 0, commitOffset: 3 }));
    await waitFor('the oneway offset update to land', async () => (await q(0)).extFields?.offset === '3');
    const notFound = await client.invoke(broker(), createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'hb-group', topic: 'tag-topic', queueId: 0, setZeroIfNotFound: false }));
    expect(notFound.extFields?.offset).toBe('3');

    await other.invoke(broker(), createRequest(RequestCode.UNREGISTER_CLIENT, { clientID: 'c1', consumerGroup: 'hb-group' }));
    const after = await client.invoke(broker(), createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'hb-group' }));
    expect(JSON.parse(after.body!.toString()).consumerIdList).toEqual(['c2']);
    await other.close();
  });

  it('answers offset lookups: max, min, by timestamp, earliest store time', async () => {
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await sendV2('offset-topic', 'a', {}, 0);
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await sendV2('offset-topic', 'b', {}, 0);
    const h = (code: number, extra: Record<string, number> = {}) =>
      client.invoke(broker(), createRequest(code, { topic: 'offset-topic', queueId: 0, ...extra }));
    expect((await h(RequestCode.GET_MAX_OFFSET)).extFields?.offset).toBe('2');
    expect((await h(RequestCode.GET_MIN_OFFSET)).extFields?.offset).toBe('0');
    expect((await h(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { timestamp: middle })).extFields?.offset).toBe('1');
    expect(Number((await h(RequestCode.GET_EARLIEST_MSG_STORETIME)).extFields?.timestamp)).toBeGreaterThanOrEqual(before);
  });

  it('answers SEARCH_OFFSET_BY_TIMESTAMP with boundaryType UPPER: the last offset stored at or before the time', async () => {
    await sendV2('upper-topic', 'a', {}, 0);
    await new Promise((r) => setTimeout(r, 20));
    const middle = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await sendV2('upper-topic', 'b', {}, 0);
    await sendV2('upper-topic', 'c', {}, 0);
    const search = async (timestamp: number, boundaryType?: string) => (await client.invoke(broker(), createRequest(
      RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic: 'upper-topic', queueId: 0, timestamp, boundaryType }))).extFields?.offset;
    expect(await search(middle, 'UPPER')).toBe('0');
    expect(await search(middle, 'LOWER')).toBe('1');
    expect(await search(middle)).toBe('1');
    // Past the last message: upper is the last message, lower one past it; before the first: upper is 0.
    expect(await search(Date.now() + 60_000, 'UPPER')).toBe('2');
    expect(await search(Date.now() + 60_000, 'LOWER')).toBe('3');
    expect(await search(1, 'UPPER')).toBe('0');
  });

  it('creates, lists and deletes topics for admin tools', async () => {
    const create = await client.invoke(broker(), createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: 'admin-topic', defaultTopic: 'TBW102', readQueueNums: 8, writeQueueNums: 8, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    }));
    expect(create.code).toBe(ResponseCode.SUCCESS);
    await waitFor('a route for admin-topic with 8 read queues', async () => (await route('admin-topic'))?.queueDatas[0]?.readQueueNums === 8);
    const all = JSON.parse((await client.invoke(broker(), createRequest(RequestCode.GET_ALL_TOPIC_CONFIG))).body!.toString());
    expect(all.topicConfigTable['admin-topic']).toMatchObject({ readQueueNums: 8, writeQueueNums: 8, perm: 6 });
    expect(all.topicConfigTable.TBW102.perm).toBe(7);
    const bad = await client.invoke(broker(), createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'x', readQueueNums: 0, writeQueueNums: 8, perm: 6 }));
    expect(bad.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect((await client.invoke(broker(), createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'admin-topic' }))).code).toBe(ResponseCode.SUCCESS);
    await client.invoke(cluster.namesrvAddr, createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'admin-topic' }));
    expect(await route('admin-topic')).toBeUndefined();
    const info = JSON.parse((await client.invoke(broker(), createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString());
    expect(info.table.brokerVersionDesc).toBe('V5_3_3');
    expect(info.table.putTps.split(' ')).toHaveLength(3);
  });
});

describe('SQL92 filtering', () => {
  it('filters pulls by message properties, wakes held pulls only for matching messages, and checks client configs', async () => {
    const sql = "a > 5 AND b = 'x'";
    for (const [a, b] of [['3', 'x'], ['7', 'x'], ['9', 'y'], ['12', 'x']]) await sendV2('sql-topic', `${a}${b}`, { a: a!, b: b! }, 0);
    const r = await pull('sql-topic', 0, 0, { subscription: sql, expressionType: 'SQL92' });
    expect(decodeStoredMessages(r.body!).map((m) => m.body.toString())).toEqual(['7x', '12x']);

    const held = pull('sql-topic', 0, 4, { subscription: sql, expressionType: 'SQL92', suspendTimeoutMillis: 3000 });
    await waitFor('the SQL92 pull to be held', () => cluster.broker.context.pullHold.size === 1);
    await sendV2('sql-topic', 'no', { a: '1', b: 'x' }, 0); // does not match: the pull stays held
    await waitFor('the non-matching message dispatched', () => cluster.broker.context.store.getMaxOffsetInQueue('sql-topic', 0) === 5);
    expect(cluster.broker.context.pullHold.size).toBe(1);
    const t0 = Date.now();
    await sendV2('sql-topic', 'yes', { a: '6', b: 'x' }, 0);
    const woke = await held;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(decodeStoredMessages(woke.body!).map((m) => m.body.toString())).toEqual(['yes']);

    const check = (expression: string) => client.invoke(broker(), createRequest(RequestCode.CHECK_CLIENT_CONFIG, undefined, encodeJson({
      clientId: 'c', group: 'g', subscriptionData: { topic: 'sql-topic', subString: expression, expressionType: 'SQL92' },
    })));
    expect((await check(sql)).code).toBe(ResponseCode.SUCCESS);
    const bad = await check('a > AND');
    expect(bad.code).toBe(ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    expect(bad.remark).toMatch(/column/);
  });
});
