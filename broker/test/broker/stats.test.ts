import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProperties } from '../../src/message/properties.ts';
import { encodeJson, parseFastJson } from '../../src/protocol/index.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { Admin } from '../../src/client/admin.ts';
import { DailyTotals, msUntilNextLocalMidnight } from '../../src/broker/daily-totals.ts';
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

  it("resets one queue to a queue offset (the Java admin's resetOffsetByQueueId), not by time, and refuses one out of range", async () => {
    // Queue 0 of stats-topic holds offsets 0-2 (earlier test); timestamp 0 alone would reset to 0.
    const byOffset = (offset: number) => client.invoke(cluster.brokerAddr, createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
      topic: 'stats-topic', group: 'sg', queueId: 0, offset, timestamp: 0, isForce: false,
    }));
    const reset = await byOffset(2);
    expect(reset.code, reset.remark).toBe(ResponseCode.SUCCESS);
    expect(byQueue(parseFastJson<{ offsetTable: Table<number> }>(reset.body!).offsetTable)).toEqual({ 0: 2 });
    const q0 = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'sg', topic: 'stats-topic', queueId: 0 }));
    expect(q0.extFields?.offset).toBe('2');
    // isForce=false does not stop a forward move to a named offset (the Java client sends false here).
    expect((await byOffset(3)).code).toBe(ResponseCode.SUCCESS);
    const beyond = await byOffset(5);
    expect(beyond.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(beyond.remark).toBe('Target offset 5 not in consume queue range [0-3]');
    // offset -1 means by time, as before.
    const byTime = await byOffset(-1);
    expect(byQueue(parseFastJson<{ offsetTable: Table<number> }>(byTime.body!).offsetTable)).toEqual({ 0: 0 });
  });
});

describe("mqadmin's today figures (GET_BROKER_RUNTIME_INFO)", () => {
  const runtime = async () => JSON.parse((await client.invoke(cluster.brokerAddr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO))).body!.toString())
    .table as Record<string, string>;

  const sendToday = async () => {
    const sent = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.SEND_MESSAGE_V2, {
      a: 'pg', b: 'today-topic', c: 'TBW102', d: 1, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties({}), m: false,
    }, Buffer.from('t')));
    expect(sent.code).toBe(ResponseCode.SUCCESS);
  };

  it('counts puts and gets since the broker started; the midnight snapshots are 0 before the first midnight', async () => {
    const before = await runtime();
    for (let i = 0; i < 3; i++) await sendToday();
    const pulled = await client.invoke(cluster.brokerAddr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: 'today-cg', topic: 'today-topic', queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4 | 0x2, commitOffset: 0,
      suspendTimeoutMillis: 1000, subscription: '*', subVersion: 0, expressionType: 'TAG',
    }), 10_000);
    expect(pulled.code).toBe(ResponseCode.SUCCESS);
    const after = await runtime();
    expect(Number(after.msgPutTotalTodayNow) - Number(before.msgPutTotalTodayNow)).toBe(3);
    expect(Number(after.msgGetTotalTodayNow) - Number(before.msgGetTotalTodayNow)).toBe(3);
    expect(Number(after.msgPutTotalTodayNow)).toBeGreaterThanOrEqual(3);
    // the broker started today (local time): no midnight has passed, so "today" is everything since the start
    expect([after.msgPutTotalTodayMorning, after.msgGetTotalTodayMorning, after.msgPutTotalYesterdayMorning, after.msgGetTotalYesterdayMorning])
      .toEqual(['0', '0', '0', '0']);

    // midnight, as the broker's timer runs it: the totals so far become this morning's, so "today" starts at 0
    cluster.broker.context.daily.rollover();
    const morning = await runtime();
    expect(morning.msgPutTotalTodayMorning).toBe(after.msgPutTotalTodayNow);
    expect(morning.msgGetTotalTodayMorning).toBe(after.msgGetTotalTodayNow);
    expect(morning.msgPutTotalYesterdayMorning).toBe('0');
    await sendToday();
    // what mqadmin clusterList shows as InTotalToday: TodayNow - TodayMorning
    const admin = new Admin({ namesrvAddr: cluster.namesrvAddr });
    try {
      expect((await admin.clusterList())[0]!.putToday).toBe(1);
    } finally {
      await admin.shutdown();
    }
    cluster.broker.context.daily.rollover(); // the next midnight: yesterday is the day just ended
    const next = await runtime();
    expect(next.msgPutTotalYesterdayMorning).toBe(after.msgPutTotalTodayNow);
    expect(Number(next.msgPutTotalTodayMorning) - Number(next.msgPutTotalYesterdayMorning)).toBe(1);
  });
});

describe('DailyTotals: the snapshots taken at local midnight', () => {
  it('shifts this morning to yesterday morning and takes the current totals as this morning', () => {
    const totals = { put: 0, get: 0 };
    const daily = new DailyTotals(() => totals);
    totals.put = 10; totals.get = 4;
    daily.rollover(); // first midnight
    expect(daily.todayMorning).toEqual({ put: 10, get: 4 });
    expect(daily.yesterdayMorning).toEqual({ put: 0, get: 0 });
    totals.put = 25; totals.get = 9;
    daily.rollover(); // second midnight: yesterday saw 15 puts and 5 gets
    expect(daily.todayMorning).toEqual({ put: 25, get: 9 });
    expect(daily.yesterdayMorning).toEqual({ put: 10, get: 4 });
    totals.put = 30;
    expect(daily.todayMorning.put).toBe(25); // a snapshot, not a view of the live counter
  });

  it('waits until the next local midnight', () => {
    expect(msUntilNextLocalMidnight(new Date(2026, 0, 15, 23, 0, 0, 0))).toBe(3_600_000);
    expect(msUntilNextLocalMidnight(new Date(2026, 0, 15, 0, 0, 0, 0))).toBe(86_400_000);
    expect(msUntilNextLocalMidnight(new Date(2026, 0, 15, 12, 30, 0, 500))).toBe(11.5 * 3_600_000 - 500);
  });
});
