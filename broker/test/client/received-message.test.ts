import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePulledMessages } from '../../src/client/received-message.ts';
import { encodeProperties, MessageConst } from '../../src/message/properties.ts';
import { encodeStoredMessage, type StoredMessageFields } from '../../src/message/stored-message.ts';
import { MessageSysFlag } from '../../src/message/sys-flag.ts';
import { createOffsetMsgId } from '../../src/message/message-id.ts';

const storeHost = { address: '10.1.2.3', port: 10911 };

function record(over: Partial<StoredMessageFields>): Buffer {
  return encodeStoredMessage({
    topic: 'T', queueId: 3, flag: 0, queueOffset: 0, physicalOffset: 0, sysFlag: 0, bornTimestamp: 1_700_000_000_000,
    bornHost: { address: '192.168.0.9', port: 50000 }, storeTimestamp: 1_700_000_000_123, storeHost, reconsumeTimes: 0,
    preparedTransactionOffset: 0, body: Buffer.from('x'), properties: '', ...over,
  });
}

describe('decoding a pull body', () => {
  it('turns concatenated stored records into received messages', () => {
    const big = Buffer.alloc(10_000, 'abc');
    const body = Buffer.concat([
      record({
        queueOffset: 40, physicalOffset: 1000, body: Buffer.from('hello'), flag: 7,
        properties: encodeProperties({ UNIQ_KEY: 'AC11000100002A9F0000000000000001', TAGS: 'TagA', KEYS: 'k1 k2', WAIT: 'true' }),
      }),
      record({
        queueOffset: 41, physicalOffset: 2000, body: deflateSync(big), sysFlag: MessageSysFlag.COMPRESSED_FLAG,
        properties: encodeProperties({ TAGS: 'TagB' }),
      }),
    ]);
    const msgs = decodePulledMessages(body, { topic: 'T', brokerName: 'broker-a', queueId: 3 }, { minOffset: 0, maxOffset: 42 });
    expect(msgs).toHaveLength(2);
    const [a, b] = msgs;
    expect(a!.msgId).toBe('AC11000100002A9F0000000000000001');
    expect(a!.offsetMsgId).toBe(createOffsetMsgId(storeHost, 1000));
    expect(a!.body.toString()).toBe('hello');
    expect(a!.tags).toBe('TagA');
    expect(a!.keys).toEqual(['k1', 'k2']);
    expect(a!.flag).toBe(7);
    expect(a!.queueOffset).toBe(40);
    expect(a!.commitLogOffset).toBe(1000);
    expect(a!.storeTimestamp).toBe(1_700_000_000_123);
    expect(a!.bornTimestamp).toBe(1_700_000_000_000);
    expect(a!.bornHost).toBe('192.168.0.9:50000');
    expect(a!.storeHost).toBe('10.1.2.3:10911');
    expect(a!.brokerName).toBe('broker-a');
    expect(a!.properties.get(MessageConst.MAX_OFFSET)).toBe('42');
    // No UNIQ_KEY: the broker's id stands in, as in Java.
    expect(b!.msgId).toBe(createOffsetMsgId(storeHost, 2000));
    expect(b!.body.equals(big)).toBe(true);
  });

  it('gives retry-topic messages their original topic back', () => {
    const body = record({
      topic: '%RETRY%G', queueId: 0, queueOffset: 5, reconsumeTimes: 2,
      properties: encodeProperties({ RETRY_TOPIC: 'Orders', UNIQ_KEY: 'U1', TAGS: 'TagA' }),
    });
    const [m] = decodePulledMessages(body, { topic: '%RETRY%G', brokerName: 'b', queueId: 0 }, { minOffset: 0, maxOffset: 6 });
    expect(m!.topic).toBe('Orders');
    expect(m!.reconsumeTimes).toBe(2);
    expect(m!.msgId).toBe('U1');
  });

  it('reads an empty body as no messages', () => {
    expect(decodePulledMessages(Buffer.alloc(0), { topic: 'T', brokerName: 'b', queueId: 0 }, { minOffset: 0, maxOffset: 0 })).toEqual([]);
  });
});
