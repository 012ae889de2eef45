import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBatchBody } from '../../src/message/batch-body.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode, type RemotingCommand } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';
import { waitFor } from '../../src/harness/wait-for.ts';

// Messages asking for delivery at a chosen time wait in the timer wheel and are delivered then, never before; bad
// values and delays beyond timerMaxDelaySec are refused with RocketMQ's codes. Delay levels keep working.
const log = createLogger('test');
let cluster: LocalCluster;
let client: RemotingClient;

beforeAll(async () => {
  // Three 1 s levels keep the delay-level checks quick, and show the remark names the configured levels.
  cluster = await startLocalCluster({ messageDelayLevel: '1s 1s 1s', timerMaxDelaySec: 3600 });
  client = new RemotingClient({ logger: log });
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});
const broker = () => cluster.brokerAddr;

function sendV2(topic: string, props: Record<string, string>, opts: { sysFlag?: number; group?: string } = {}) {
  return client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: opts.group ?? 'pg', b: topic, c: 'TBW102', d: 4, e: 0, f: opts.sysFlag ?? 0, g: Date.now(), h: 0, i: encodeProperties(props), m: false,
  }, Buffer.from('body')));
}
function sendV1(topic: string, props: Record<string, string>) {
  return client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE, {
    producerGroup: 'pg', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0,
    bornTimestamp: Date.now(), flag: 0, properties: encodeProperties(props), reconsumeTimes: 0, unitMode: false,
  }, Buffer.from('body')));
}
function sendBatch(topic: string, items: Record<string, string>[], batchProps: Record<string, string> = {}) {
  const body = encodeBatchBody(items.map((p, i) => ({ flag: 0, body: Buffer.from(`m${i}`), properties: encodeProperties(p) })));
  return client.invoke(broker(), createRequest(RequestCode.SEND_BATCH_MESSAGE, {
    a: 'pg', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties(batchProps), m: true,
  }, body));
}
async function pullAll(topic: string, group = 'g') {
  const r = await client.invoke(broker(), createRequest(RequestCode.PULL_MESSAGE, {
    consumerGroup: group, topic, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0,
    suspendTimeoutMillis: 0, subscription: '*', subVersion: 0, expressionType: 'TAG',
  }));
  return r.code === ResponseCode.SUCCESS ? decodeStoredMessages(r.body!) : [];
}
async function scheduled() {
  const all = await Promise.all([0, 1, 2].map(async (queueId) => {
    const r = await client.invoke(broker(), createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'SCHEDULE_TOPIC_XXXX', queueId }));
    return r.code === ResponseCode.SUCCESS ? Number(r.extFields!.offset) : 0;
  }));
  return all.reduce((a, b) => a + b, 0);
}
function expectBatchRefusal(r: RemotingCommand) {
  expect(r.code, r.remark).toBe(ResponseCode.MESSAGE_ILLEGAL);
  expect(r.remark).toMatch(/which a batch cannot apply: send timer messages one by one/);
}
function expectBeyondMax(r: RemotingCommand) {
  expect(r.code, r.remark).toBe(ResponseCode.MESSAGE_ILLEGAL);
  expect(r.remark).toBe('timer message illegal, the delay time should not be bigger than the max delay 3600000ms; '
    + 'or if set del msg, the delay time should be bigger than the current time');
}

describe('timer messages through the broker', () => {
  it('refuses a batch carrying a delay level with MESSAGE_ILLEGAL, as RocketMQ does, and stores nothing', async () => {
    const r = await sendBatch('batch-delay', [{ UNIQ_KEY: 'bd1' }], { DELAY: '2' });
    expect(r.code, r.remark).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(r.remark).toMatch(/delay level/);
    expect(await pullAll('batch-delay')).toEqual([]);
    // Nor may one message inside the batch carry one: nothing would apply it.
    const inner = await sendBatch('batch-delay', [{ UNIQ_KEY: 'bd2' }, { UNIQ_KEY: 'bd3', DELAY: '1' }]);
    expect(inner.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    expect(inner.remark).toMatch(/^message 1 of the batch carries a delay level/);
    expect(await pullAll('batch-delay')).toEqual([]);
  });

  it('delivers each timer property\'s message on SEND_MESSAGE and SEND_MESSAGE_V2 when due, never before', async () => {
    const sentAt = Date.now();
    const asks: [string, string, number][] = [
      ['TIMER_DELIVER_MS', String(sentAt + 600), sentAt + 600],
      ['TIMER_DELAY_SEC', '1', sentAt + 1000],
      ['TIMER_DELAY_MS', '600', sentAt + 600],
      ['__STARTDELIVERTIME', String(sentAt + 600), sentAt + 600],
    ];
    for (const [key, value] of asks) {
      const topic = `timer-${key.toLowerCase()}`;
      for (const send of [sendV2, sendV1]) {
        const r = await send(topic, { UNIQ_KEY: `${key}-${send.name}`, [key]: value });
        expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
      }
      expect(await pullAll(topic)).toEqual([]);
    }
    for (const [key, , due] of asks) {
      const topic = `timer-${key.toLowerCase()}`;
      const msgs = await waitFor(`both timers on ${topic}`, async () => { const m = await pullAll(topic); return m.length === 2 && m; }, 10_000);
      for (const m of msgs) {
        // Stored in the real topic no earlier than due (the re-put's store time), its timer properties gone.
        expect(m.storeTimestamp).toBeGreaterThanOrEqual(due);
        expect(m.properties.get(key)).toBeUndefined();
        expect(m.properties.get('REAL_TOPIC')).toBeUndefined();
      }
      expect(msgs.map((m) => m.properties.get('UNIQ_KEY')).sort()).toEqual([`${key}-sendV1`, `${key}-sendV2`]);
    }
  });

  it('refuses a delay beyond timerMaxDelaySec with RocketMQ\'s code and remark, and stores nothing', async () => {
    expectBeyondMax(await sendV2('timer-max', { TIMER_DELAY_SEC: '3601' }));
    expectBeyondMax(await sendV2('timer-max', { TIMER_DELIVER_MS: String(Date.now() + 3_700_000) }));
    expect((await sendV2('timer-max', { UNIQ_KEY: 'M1', TIMER_DELAY_SEC: '3500' })).code).toBe(ResponseCode.SUCCESS);
    expect(await pullAll('timer-max')).toEqual([]);
  });

  it('refuses direct sends to the timer topic', async () => {
    const r = await sendV2('rmq_sys_wheel_timer', { UNIQ_KEY: 'X' });
    expect(r.code, r.remark).toBe(ResponseCode.NO_PERMISSION);
  });

  it('refuses a value that is not a whole number with MESSAGE_ILLEGAL', async () => {
    for (const [key, value] of [['TIMER_DELIVER_MS', 'tomorrow'], ['TIMER_DELAY_SEC', '1.5'], ['TIMER_DELAY_MS', ' 5'], ['__STARTDELIVERTIME', '1e12']]) {
      const r = await sendV2('timer-illegal', { [key!]: value! });
      expect(r.code, r.remark).toBe(ResponseCode.MESSAGE_ILLEGAL);
      expect(r.remark).toContain(`${key} must be a whole number`);
    }
    expect(await pullAll('timer-illegal')).toEqual([]);
  });

  it('delivers at once a message whose deadline has passed, as RocketMQ does', async () => {
    const r = await sendV2('timer-past', { UNIQ_KEY: 'P1', TIMER_DELIVER_MS: String(Date.now() - 1000), TIMER_DELAY_SEC: '0' });
    expect(r.code, r.remark).toBe(ResponseCode.SUCCESS);
    expect((await pullAll('timer-past')).map((m) => m.properties.get('UNIQ_KEY'))).toEqual(['P1']);
  });

  it('refuses a whole batch when one message asks for a timer, or the batch properties do', async () => {
    const inner = await sendBatch('timer-batch', [{ UNIQ_KEY: 'B0' }, { UNIQ_KEY: 'B1', TIMER_DELAY_SEC: '10' }, { UNIQ_KEY: 'B2' }]);
    expectBatchRefusal(inner);
    expect(inner.remark).toMatch(/^message 1 of the batch: /);
    // A delay level does not excuse a timer property in a batch: nothing applies levels to batches.
    expectBatchRefusal(await sendBatch('timer-batch', [{ UNIQ_KEY: 'B3', DELAY: '1', TIMER_DELAY_MS: '5000' }]));
    expectBatchRefusal(await sendBatch('timer-batch', [{ UNIQ_KEY: 'B4' }], { TIMER_DELIVER_MS: String(Date.now() + 60_000) }));
    expect(await pullAll('timer-batch')).toEqual([]);
    const plain = await sendBatch('timer-batch', [{ UNIQ_KEY: 'B5' }, { UNIQ_KEY: 'B6' }]);
    expect(plain.code, plain.remark).toBe(ResponseCode.SUCCESS);
    expect((await pullAll('timer-batch')).map((m) => m.properties.get('UNIQ_KEY'))).toEqual(['B5', 'B6']);
  });

  it('refuses a transactional half message whose timer is beyond the max (its timer applies at commit)', async () => {
    const r = await sendV2('timer-tx', { TRAN_MSG: 'true', PGROUP: 'tx-group', UNIQ_KEY: 'T1', TIMER_DELAY_SEC: '7200' }, { sysFlag: 0x4, group: 'tx-group' });
    expectBeyondMax(r);
    const half = await client.invoke(broker(), createRequest(RequestCode.GET_MAX_OFFSET, { topic: 'RMQ_SYS_TRANS_HALF_TOPIC', queueId: 0 }));
    expect(Number(half.extFields?.offset ?? 0)).toBe(0);
  });

  it('keeps delay levels working; a level wins over timer properties, which are dropped as RocketMQ does', async () => {
    const before = await scheduled();
    const sentAt = Date.now();
    expect((await sendV2('timer-level', { UNIQ_KEY: 'L1', DELAY: '2' })).code).toBe(ResponseCode.SUCCESS);
    const both = await sendV2('timer-level', { UNIQ_KEY: 'L2', DELAY: '1', TIMER_DELIVER_MS: String(Date.now() + 3_600_000), TIMER_DELAY_SEC: '3600' });
    expect(both.code, both.remark).toBe(ResponseCode.SUCCESS);
    expect(await scheduled()).toBe(before + 2);
    expect(await pullAll('timer-level')).toEqual([]);
    const msgs = await waitFor('both delayed messages on timer-level', async () => { const m = await pullAll('timer-level'); return m.length === 2 && m; }, 8000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(900);
    expect(msgs.map((m) => m.properties.get('UNIQ_KEY')).sort()).toEqual(['L1', 'L2']);
    for (const m of msgs) {
      expect(m.properties.get('TIMER_DELIVER_MS')).toBeUndefined();
      expect(m.properties.get('TIMER_DELAY_SEC')).toBeUndefined();
    }
  });

  it('a send-back to the retry topic carries no timer property of its original', async () => {
    // A passed deadline is accepted and kept on the stored message; the retry's delay level must drop it.
    expect((await sendV2('timer-work', { UNIQ_KEY: 'W1', TIMER_DELIVER_MS: String(Date.now() - 5000) })).code).toBe(ResponseCode.SUCCESS);
    const [original] = await pullAll('timer-work', 'workers');
    expect(original!.properties.get('TIMER_DELIVER_MS')).toBeDefined();
    const back = await client.invoke(broker(), createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
      offset: original!.commitLogOffset, group: 'workers', delayLevel: 1, originMsgId: 'W1', originTopic: 'timer-work', unitMode: false, maxReconsumeTimes: 16,
    }));
    expect(back.code, back.remark).toBe(ResponseCode.SUCCESS);
    const retried = await waitFor('the retry in %RETRY%workers', async () => { const m = await pullAll('%RETRY%workers', 'workers'); return m.length > 0 && m; }, 8000);
    expect(retried[0]!.properties.get('UNIQ_KEY')).toBe('W1');
    expect(retried[0]!.properties.get('TIMER_DELIVER_MS')).toBeUndefined();
  });
});
