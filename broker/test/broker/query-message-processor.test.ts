import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
import { encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages } from '../../src/message/stored-message.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRequest, RemotingClient, RequestCode, ResponseCode } from '../../src/remoting/index.ts';
import { startLocalCluster, type LocalCluster } from '../support/local-cluster.ts';

let cluster: LocalCluster;
let client: RemotingClient;

beforeAll(async () => {
  cluster = await startLocalCluster({ maxMessageSize: 64 * 1024 });
  client = new RemotingClient({ logger: createLogger('test') });
});
afterAll(async () => {
  await client.close();
  await cluster.stop();
});

const broker = () => cluster.brokerAddr;
const LONG_MAX = '9223372036854775807';

function send(topic: string, body: Buffer | string, props: Record<string, string>) {
  return client.invoke(broker(), createRequest(RequestCode.SEND_MESSAGE_V2, {
    a: 'pg', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: encodeProperties({ WAIT: 'true', ...props }), j: 0, k: false, m: false,
  }, Buffer.isBuffer(body) ? body : Buffer.from(body)));
}

function query(topic: string, key: string, extra: Record<string, string | number> = {}) {
  return client.invoke(broker(), createRequest(RequestCode.QUERY_MESSAGE, {
    topic, key, maxNum: 32, beginTimestamp: 0, endTimestamp: LONG_MAX, ...extra,
  }));
}

describe('QUERY_MESSAGE and VIEW_MESSAGE_BY_ID', () => {
  it('finds messages by key and by unique key, with the index position in the header', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await send('QTopic', `order ${i}`, { KEYS: `order-${i} shop-1`, UNIQ_KEY: `QUNIQ${i}` })).code).toBe(ResponseCode.SUCCESS);
    }
    const r = await query('QTopic', 'shop-1');
    expect(r.code).toBe(ResponseCode.SUCCESS);
    expect(decodeStoredMessages(r.body!).map((m) => m.body.toString())).toEqual(['order 0', 'order 1', 'order 2']);
    expect(Number(r.extFields!.indexLastUpdatePhyoffset)).toBeGreaterThan(0);
    expect(Number(r.extFields!.indexLastUpdateTimestamp)).toBeGreaterThan(Date.now() - 60_000);

    const u = await query('QTopic', 'QUNIQ1', { _UNIQUE_KEY_QUERY: 'true', maxNum: 1 });
    expect(decodeStoredMessages(u.body!).map((m) => m.properties.get('UNIQ_KEY'))).toEqual(['QUNIQ1']);
  });

  it('answers QUERY_NOT_FOUND outside the time range or for an unknown key', async () => {
    await send('QTopic2', 'x', { KEYS: 'k' });
    const late = await query('QTopic2', 'k', { beginTimestamp: Date.now() + 60_000 });
    expect(late.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    expect(late.remark).toMatch(/check the key and the time range/);
    expect((await query('QTopic2', 'nope')).code).toBe(ResponseCode.QUERY_NOT_FOUND);
    // A missing field is the client's mistake, named.
    const bad = await client.invoke(broker(), createRequest(RequestCode.QUERY_MESSAGE, { topic: 'QTopic2', maxNum: 1, beginTimestamp: 0, endTimestamp: 1 }));
    expect(bad.code).toBe(ResponseCode.INVALID_PARAMETER);
    expect(bad.remark).toMatch(/key/);
  });

  it('views a message by the offset in its msgId', async () => {
    const sent = await send('VTopic', 'viewed', { KEYS: 'v' });
    const { offset } = decodeOffsetMsgId(sent.extFields!.msgId!);
    const r = await client.invoke(broker(), createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { offset }));
    expect(r.code).toBe(ResponseCode.SUCCESS);
    const [m] = decodeStoredMessages(r.body!);
    expect([m!.body.toString(), m!.msgId]).toEqual(['viewed', sent.extFields!.msgId]);
    const wrongTopic = await client.invoke(broker(), createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { offset, topic: 'Other' }));
    expect(wrongTopic.code).toBe(ResponseCode.SYSTEM_ERROR);
    const nowhere = await client.invoke(broker(), createRequest(RequestCode.VIEW_MESSAGE_BY_ID, { offset: offset + 1 }));
    expect(nowhere.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(nowhere.remark).toMatch(new RegExp(`no message at commit log offset ${offset + 1}`));
  });

  it('refuses a body over maxMessageSize with MESSAGE_ILLEGAL', async () => {
    const r = await send('BigTopic', Buffer.alloc(64 * 1024 + 1), {});
    expect(r.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
  });
});
