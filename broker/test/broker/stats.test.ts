import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProperties } from '../../src/message/properties.ts';
import { encodeJson, parseFastJson } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
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

const send = (queueId: number) => client.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
  a: 'pg', b: 'stats-topic', c: 'TBW102', d: 2, e: queueId, f: 0, g: Date.now(), h: 0, i: encodeProperties({}), m: false,
}, Buffer.from('x')));
type Table<V> = Record<string, V>;
const byQueue = <V>(t: Table<V>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [JSON.parse(k).queueId, v]));

describe('admin stats and offset reset', () => {
  it('reports topic stats, consume stats, who consumes, and resets offsets by time', async () => {
    for (const q of [0, 0, 0, 1]) await send(q);
    const midpoint = Date.now() + 10;
    await new Promise((r) => setTimeout(r, 30));
    await send(1);
    const stats = parseFastJson<{ offsetTable: Table<{ minOffset: number; maxOffset: number; lastUpdateTimestamp: number }> }>(
      (await client.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'stats-topic' }))).body!);
    const t = byQueue(stats.offsetTable);
    expect(t[0]).toMatchObject({ minOffset: 0, maxOffset: 3 });
    expect(t[1]!.maxOffset).toBe(2);
    expect(t[1]!.lastUpdateTimestamp).toBeGreaterThan(midpoint);
    expect((await client.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'nope' }))).code).toBe(ResponseCode.TOPIC_NOT_EXIST);

    client.invokeOneway(cluster.brokerAddr, createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'sg', topic: 'stats-topic', queueId: 0, commitOffset: 2 }));
    const consumeStats = async () => byQueue(parseFastJson<{ offsetTable: Table<{ brokerOffset: number; consumerOffset: number }> }>(
      (await client.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'sg', topic: 'stats-topic' }))).body!).offsetTable);
    await waitFor('the oneway offset commit of sg', async () => (await consumeStats())[0]?.consumerOffset === 2);
    expect((await consumeStats())[0]).toMatchObject({ brokerOffset: 3, consumerOffset: 2 });
    const who = JSON.parse((await client.invoke(cluster.brokerAddr, createRequest(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: 'stats-topic' }))).body!.toString());
    expect(who.groupList).toEqual(['sg']);

    // Reset to the midpoint: queue 0 (all older) goes to its end, queue 1 to its last message.
    const seen: string[] = [];
    const member = new RemotingClient({ logger: log, handler: (req) => { if (req.code === RequestCode.RESET_CONSUMER_CLIENT_OFFSET) seen.push(req.extFields!.group!); return undefined; } });
    await member.invoke(cluster.brokerAddr, createRequest(RequestCode.HEART_BEAT, undefined, encodeJson({
      clientID: 'm1', producerDataSet: [], consumerDataSet: [{ groupName: 'sg', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', unitMode: false, subscriptionDataSet: [{ topic: 'stats-topic', subString: '*', tagsSet: [], codeSet: [], subVersion: 1, expressionType: 'TAG' }] }],
    })));
    const reset = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic: 'stats-topic', group: 'sg', timestamp: midpoint, isForce: true }));
    expect(reset.code).toBe(ResponseCode.SUCCESS);
    expect(byQueue(parseFastJson<{ offsetTable: Table<number> }>(reset.body!).offsetTable)).toEqual({ 0: 3, 1: 1 });
    await waitFor('RESET_CONSUMER_CLIENT_OFFSET at the member', () => seen.length > 0);
    expect(seen).toEqual(['sg']);
    const q1 = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'sg', topic: 'stats-topic', queueId: 1 }));
    expect(q1.extFields?.offset).toBe('1');
    await member.close();
  });
});
