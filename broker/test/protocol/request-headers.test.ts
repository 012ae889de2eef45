import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame, MQVersion, RequestRefusedError, ResponseCode, toExtFields, type HeaderInput } from '../../src/remoting/index.ts';
import {
  decodeConsumerGroupHeader, decodeConsumerSendBackHeader, decodeCreateTopicHeader, decodeDeleteTopicHeader, decodeEndTransactionHeader,
  decodeGetRouteInfoHeader, decodePullMessageHeader, decodeQueryConsumerOffsetHeader, decodeQueryMessageHeader, decodeQueueOffsetHeader,
  decodeRegisterBrokerHeader, decodeResetOffsetHeader, decodeSearchOffsetHeader, decodeUnregisterBrokerHeader, decodeUnregisterClientHeader,
  decodeUpdateConsumerOffsetHeader, decodeViewMessageHeader, encodeConsumerGroupHeader, encodeConsumerSendBackHeader, encodeCreateTopicHeader,
  encodeDeleteTopicHeader, encodeEndTransactionHeader, encodeGetRouteInfoHeader, encodePullMessageHeader, encodeQueryConsumerOffsetHeader,
  encodeQueryMessageHeader, encodeQueueOffsetHeader, encodeRegisterBrokerHeader, encodeResetOffsetHeader, encodeSearchOffsetHeader,
  encodeUnregisterBrokerHeader, encodeUnregisterClientHeader, encodeUpdateConsumerOffsetHeader, encodeViewMessageHeader, type ExtFields,
  decodeDeleteSubscriptionGroupHeader, decodeGetConsumeStatsHeader, decodeGetTopicsByClusterHeader, decodeKvKeyHeader, decodeKvNamespaceHeader,
  decodeKvPutHeader, decodeProducerGroupHeader, decodeQueryDataVersionHeader, decodeTopicHeader, decodeWipeWritePermHeader,
  encodeDeleteSubscriptionGroupHeader, encodeGetConsumeStatsHeader, encodeGetTopicsByClusterHeader, encodeKvConfigHeader,
  encodeProducerGroupHeader, encodeQueryDataVersionHeader, encodeTopicHeader, encodeWipeWritePermHeader,
  decodeOffsetResponseHeader, decodePullMessageResponseHeader, decodeSendMessageResponseHeader, encodeOffsetResponseHeader,
  encodePullMessageResponseHeader, encodeSendMessageResponseHeader,
} from '../../src/protocol/index.ts';

// Frames captured between the official Java client 5.3.3 and Apache RocketMQ 5.3.3 (see the folder's README).
const dir = path.join(import.meta.dirname, '../fixtures/java-client');
// Requests only a broker sends, captured from Apache RocketMQ 5.3.3's own broker (see that folder's README).
const brokerDir = path.join(import.meta.dirname, '../fixtures/apache-broker');

function captured(name: string, format: 'json' | 'binary', folder = dir): Record<string, string> {
  const ext = decodeFrame(fs.readFileSync(path.join(folder, `${name}.${format}.bin`))).extFields;
  if (!ext) throw new Error(`${name} has no extFields`);
  return ext;
}

/** The captured fields minus those Tern deliberately does not read (each listed, so a new one fails the test). */
function without(ext: Record<string, string>, unread: string[]): Record<string, string> {
  const out = { ...ext };
  for (const name of unread) {
    expect(out, `captured frame should carry ${name}`).toHaveProperty(name);
    delete out[name];
  }
  return out;
}

function refusal(decode: () => unknown): { code: number; message: string } {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(RequestRefusedError);
    return { code: (err as RequestRefusedError).responseCode, message: (err as Error).message };
  }
  throw new Error('decode accepted the header');
}

function missing(field: string) {
  return { code: ResponseCode.INVALID_PARAMETER, message: `header field "${field}" is missing` };
}

describe.each(['json', 'binary'] as const)('request headers captured from the Java client (%s headers)', (format) => {
  it('PULL_MESSAGE', () => {
    const ext = captured('pull-message-request', format);
    const h = decodePullMessageHeader(ext);
    expect(h).toMatchObject({
      consumerGroup: 'FixtureGroup', topic: 'FixtureTopic', queueOffset: 0, maxMsgNums: 32, sysFlag: 2, commitOffset: 0,
      suspendTimeoutMillis: 15_000, expressionType: 'TAG', brokerName: 'broker-a', subscription: undefined,
    });
    expect(h.queueId).toBe(Number(ext.queueId));
    expect(h.subVersion).toBeGreaterThan(1_700_000_000_000);
    // The broker applies no byte cap per pull, so maxMsgBytes is not read.
    expect(toExtFields(encodePullMessageHeader(h))).toEqual(without(ext, ['maxMsgBytes']));
  });

  it('QUERY_CONSUMER_OFFSET', () => {
    const ext = captured('query-consumer-offset-request', format);
    const h = decodeQueryConsumerOffsetHeader(ext);
    expect(h).toEqual({ consumerGroup: 'FixtureGroup', topic: 'FixtureTopic', queueId: Number(ext.queueId), setZeroIfNotFound: undefined, brokerName: 'broker-a' });
    expect(toExtFields(encodeQueryConsumerOffsetHeader(h))).toEqual(ext);
  });

  it('UPDATE_CONSUMER_OFFSET', () => {
    const ext = captured('update-consumer-offset-oneway-request', format);
    const h = decodeUpdateConsumerOffsetHeader(ext);
    expect(h).toEqual({
      consumerGroup: 'FixtureGroup', topic: 'FixtureTopic', queueId: Number(ext.queueId), commitOffset: Number(ext.commitOffset), brokerName: 'broker-a',
    });
    expect(h.commitOffset).toBeGreaterThan(0);
    expect(toExtFields(encodeUpdateConsumerOffsetHeader(h))).toEqual(ext);
  });

  it('GET_CONSUMER_LIST_BY_GROUP and NOTIFY_CONSUMER_IDS_CHANGED', () => {
    for (const name of ['get-consumer-list-by-group-request', 'notify-consumer-ids-changed-oneway-request']) {
      const ext = captured(name, format);
      const h = decodeConsumerGroupHeader(ext);
      expect(h).toEqual({ consumerGroup: 'FixtureGroup' });
      expect(toExtFields(encodeConsumerGroupHeader(h))).toEqual(ext);
    }
  });

  it('UNREGISTER_CLIENT', () => {
    const ext = captured('unregister-client-request', format);
    const h = decodeUnregisterClientHeader(ext);
    expect(h).toEqual({ clientId: ext.clientID, producerGroup: 'tern_interop_producer', consumerGroup: undefined });
    expect(h.clientId).toMatch(/^[\d.]+@\d+#\d+$/);
    expect(toExtFields(encodeUnregisterClientHeader(h))).toEqual(ext);
  });

  it('GET_ROUTEINFO_BY_TOPIC', () => {
    const ext = captured('get-routeinfo-by-topic-request', format);
    const h = decodeGetRouteInfoHeader(ext);
    expect(h).toEqual({ topic: 'FixtureTopic' });
    expect(toExtFields(encodeGetRouteInfoHeader(h))).toEqual(ext);
  });

  it('REGISTER_BROKER (broker -> name server)', () => {
    const ext = captured('register-broker-request', format);
    const h = decodeRegisterBrokerHeader(ext);
    expect(h).toEqual({
      clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerAddr: '127.0.0.1:20911', brokerId: 0,
      haServerAddr: '127.0.0.1:20912', heartbeatTimeoutMillis: undefined, compressed: false,
    });
    // bodyCrc32 and enableActingMaster are written for RocketMQ's name server; Tern's does not read them.
    expect(toExtFields(encodeRegisterBrokerHeader({ ...h, bodyCrc32: Number(ext.bodyCrc32) }))).toEqual(ext);
  });

  it('UNREGISTER_BROKER (Apache broker -> name server, at shutdown)', () => {
    const ext = captured('unregister-broker-request', format, brokerDir);
    const h = decodeUnregisterBrokerHeader(ext);
    expect(h).toEqual({ clusterName: 'DefaultCluster', brokerName: 'broker-a', brokerAddr: '127.0.0.1:30911', brokerId: 0 });
    expect(toExtFields(encodeUnregisterBrokerHeader(h))).toEqual(ext);
  });

  it('QUERY_DATA_VERSION (Apache broker -> name server, before a periodic registration)', () => {
    const ext = captured('query-data-version-request', format, brokerDir);
    const h = decodeQueryDataVersionHeader(ext);
    expect(h).toEqual({ brokerAddr: '127.0.0.1:30911' });
    // Tern's name server keys registrations by address alone, so the broker's name, id and cluster are not read.
    expect(toExtFields(encodeQueryDataVersionHeader(h))).toEqual(without(ext, ['brokerName', 'brokerId', 'clusterName']));
  });
});

describe.each(['json', 'binary'] as const)('response headers captured from Apache RocketMQ (%s headers)', (format) => {
  it('PULL_MESSAGE, FOUND', () => {
    const ext = captured('pull-message-found-response', format);
    const h = decodePullMessageResponseHeader(ext, -1);
    expect(h).toEqual({
      nextBeginOffset: Number(ext.nextBeginOffset), minOffset: 0, maxOffset: Number(ext.maxOffset), suggestWhichBrokerId: 0, topicSysFlag: 0, groupSysFlag: 0,
    });
    expect(h.nextBeginOffset).toBeGreaterThan(0);
    expect(toExtFields(encodePullMessageResponseHeader(h))).toEqual(ext);
  });

  it('SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE', () => {
    for (const name of ['send-message-v2-response', 'send-batch-message-response']) {
      const ext = captured(name, format);
      const h = decodeSendMessageResponseHeader(ext, -1);
      expect(h).toEqual({ msgId: ext.msgId, queueId: Number(ext.queueId), queueOffset: 0, transactionId: ext.transactionId, regionId: 'DefaultRegion' });
      expect(h.msgId).toMatch(/^[0-9A-F]{32}(,[0-9A-F]{32})*$/);
      expect(toExtFields(encodeSendMessageResponseHeader(h))).toEqual(ext);
    }
  });

  it('QUERY_CONSUMER_OFFSET', () => {
    const ext = captured('query-consumer-offset-response', format);
    const h = decodeOffsetResponseHeader(ext, -1);
    expect(h.offset).toBe(Number(ext.offset));
    expect(h.offset).toBeGreaterThan(0);
    expect(toExtFields(encodeOffsetResponseHeader(h))).toEqual(ext);
  });

  it('a client reads response headers leniently: fallbacks for absent or unreadable numbers', () => {
    expect(decodePullMessageResponseHeader({ nextBeginOffset: 'x' }, 7)).toMatchObject({ nextBeginOffset: 7, minOffset: 0, suggestWhichBrokerId: 0 });
    expect(decodeSendMessageResponseHeader(undefined, 3)).toEqual({ msgId: '', queueId: 3, queueOffset: 0, transactionId: undefined, regionId: undefined });
    expect(decodeOffsetResponseHeader({ offset: '' }, -1).offset).toBe(-1);
  });
});

/**
 * What the captures do not show (java-client-api-headers.test.ts has the Java client's admin and query requests):
 * other values and defaults through the wire form, and the first missing required field refused with today's remark.
 */
describe('request headers: defaults, other values, missing fields', () => {
  function roundTrip<T>(encode: (h: T) => HeaderInput, decode: (ext: ExtFields) => T, h: T): Record<string, string> {
    const ext = toExtFields(encode(h))!;
    expect(Object.values(ext).every((v) => typeof v === 'string')).toBe(true);
    expect(decode(ext)).toEqual(h);
    return ext;
  }

  it('CONSUMER_SEND_MSG_BACK', () => {
    const h = { offset: 123_456, group: 'g', delayLevel: 0, originMsgId: 'ABC', originTopic: 't', maxReconsumeTimes: 16, brokerName: 'b' };
    const ext = roundTrip(encodeConsumerSendBackHeader, (e) => decodeConsumerSendBackHeader(e, MQVersion.V5_3_3), h);
    expect(ext).toEqual({
      offset: '123456', group: 'g', delayLevel: '0', originMsgId: 'ABC', originTopic: 't', unitMode: 'false', maxReconsumeTimes: '16', bname: 'b',
    });
    // Clients before 3.4.9 did not send maxReconsumeTimes: whatever is there is not read.
    expect(decodeConsumerSendBackHeader({ ...ext, maxReconsumeTimes: 'x' }, MQVersion.V3_4_9 - 1).maxReconsumeTimes).toBeUndefined();
    expect(refusal(() => decodeConsumerSendBackHeader({ ...ext, maxReconsumeTimes: 'x' }, MQVersion.V3_4_9)).message).toMatch(/maxReconsumeTimes" is not an integer/);
    expect(refusal(() => decodeConsumerSendBackHeader({ group: 'g' }, MQVersion.V5_3_3))).toEqual(missing('offset'));
  });

  it('UPDATE_AND_CREATE_TOPIC, with the broker defaults for absent fields', () => {
    const h = { topic: 't', readQueueNums: 8, writeQueueNums: 4, perm: 6, topicFilterType: 'MULTI_TAG' as const, topicSysFlag: 1, order: true };
    expect(roundTrip(encodeCreateTopicHeader, decodeCreateTopicHeader, h)).toMatchObject({ defaultTopic: 'TBW102', topicFilterType: 'MULTI_TAG' });
    expect(decodeCreateTopicHeader({ topic: 't', topicFilterType: 'bogus' })).toEqual({
      topic: 't', readQueueNums: 16, writeQueueNums: 16, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    });
    expect(refusal(() => decodeCreateTopicHeader({ readQueueNums: '8' }))).toEqual(missing('topic'));
    expect(refusal(() => decodeCreateTopicHeader({ topic: 't', order: 'yes' })).message).toBe('header field "order" is not a boolean: "yes"');
  });

  it('DELETE_TOPIC_IN_BROKER / DELETE_TOPIC_IN_NAMESRV', () => {
    roundTrip(encodeDeleteTopicHeader, decodeDeleteTopicHeader, { topic: 't', clusterName: 'c' });
    roundTrip(encodeDeleteTopicHeader, decodeDeleteTopicHeader, { topic: 't', clusterName: undefined });
    expect(refusal(() => decodeDeleteTopicHeader({ clusterName: 'c' }))).toEqual(missing('topic'));
  });

  it('GET_MAX_OFFSET / GET_MIN_OFFSET / GET_EARLIEST_MSG_STORETIME', () => {
    expect(roundTrip(encodeQueueOffsetHeader, decodeQueueOffsetHeader, { topic: 't', queueId: 3, brokerName: 'b' })).toEqual({ topic: 't', queueId: '3', bname: 'b' });
    expect(refusal(() => decodeQueueOffsetHeader({ topic: 't' }))).toEqual(missing('queueId'));
  });

  it('SEARCH_OFFSET_BY_TIMESTAMP', () => {
    roundTrip(encodeSearchOffsetHeader, decodeSearchOffsetHeader, { topic: 't', queueId: 1, timestamp: 1_700_000_000_123, brokerName: undefined, boundary: 'upper' });
    // Without boundaryType, or with anything but UPPER (any case), the search is LOWER, as in RocketMQ.
    expect(decodeSearchOffsetHeader({ topic: 't', queueId: '1', timestamp: '5' }).boundary).toBe('lower');
    expect(decodeSearchOffsetHeader({ topic: 't', queueId: '1', timestamp: '5', boundaryType: 'Upper' }).boundary).toBe('upper');
    expect(refusal(() => decodeSearchOffsetHeader({ topic: 't', queueId: '1' }))).toEqual(missing('timestamp'));
  });

  it('END_TRANSACTION', () => {
    roundTrip(encodeEndTransactionHeader, decodeEndTransactionHeader, {
      producerGroup: 'p', tranStateTableOffset: 7, commitLogOffset: 4096, commitOrRollback: 8, fromTransactionCheck: true,
    });
    expect(decodeEndTransactionHeader({ producerGroup: 'p', tranStateTableOffset: '7', commitLogOffset: '1', commitOrRollback: '12' }).fromTransactionCheck).toBe(false);
    expect(refusal(() => decodeEndTransactionHeader({ producerGroup: 'p', tranStateTableOffset: '7', commitOrRollback: '8' }))).toEqual(missing('commitLogOffset'));
  });

  it('QUERY_MESSAGE: "no upper bound" travels as Java\'s Long.MAX_VALUE', () => {
    const ext = roundTrip(encodeQueryMessageHeader, decodeQueryMessageHeader, {
      topic: 't', key: 'k', maxNum: 32, beginTimestamp: 0, endTimestamp: Number.MAX_SAFE_INTEGER, uniqueKeyQuery: true,
    });
    expect(ext).toMatchObject({ endTimestamp: '9223372036854775807', _UNIQUE_KEY_QUERY: 'true' });
    expect(roundTrip(encodeQueryMessageHeader, decodeQueryMessageHeader, {
      topic: 't', key: 'k', maxNum: 1, beginTimestamp: 5, endTimestamp: 10, uniqueKeyQuery: false,
    })).not.toHaveProperty('_UNIQUE_KEY_QUERY');
    expect(refusal(() => decodeQueryMessageHeader({ topic: 't', key: 'k', maxNum: '1', beginTimestamp: '0' }))).toEqual(missing('endTimestamp'));
  });

  it('VIEW_MESSAGE_BY_ID', () => {
    roundTrip(encodeViewMessageHeader, decodeViewMessageHeader, { offset: 2048, topic: 't' });
    expect(refusal(() => decodeViewMessageHeader({ topic: 't' }))).toEqual(missing('offset'));
  });

  it('INVOKE_BROKER_TO_RESET_OFFSET / RESET_CONSUMER_CLIENT_OFFSET', () => {
    expect(roundTrip(encodeResetOffsetHeader, decodeResetOffsetHeader, { topic: 't', group: 'g', timestamp: -1, force: false, queueId: 2 }))
      .toMatchObject({ isForce: 'false', queueId: '2' });
    expect(decodeResetOffsetHeader({ topic: 't', group: 'g', timestamp: '0' })).toEqual({ topic: 't', group: 'g', timestamp: 0, force: true, queueId: undefined });
    expect(refusal(() => decodeResetOffsetHeader({ topic: 't', timestamp: '0' }))).toEqual(missing('group'));
  });

  it('UNREGISTER_BROKER', () => {
    expect(refusal(() => decodeUnregisterBrokerHeader({ clusterName: 'c', brokerName: 'b', brokerAddr: 'a' }))).toEqual(missing('brokerId'));
  });

  it('required fields of the captured requests are refused when missing, in the order the broker reads them', () => {
    expect(refusal(() => decodePullMessageHeader({ topic: 't' }))).toEqual(missing('consumerGroup'));
    expect(refusal(() => decodePullMessageHeader({ consumerGroup: 'g', topic: 't', queueId: '0' }))).toEqual(missing('queueOffset'));
    expect(refusal(() => decodeQueryConsumerOffsetHeader({ consumerGroup: 'g', queueId: '0' }))).toEqual(missing('topic'));
    expect(refusal(() => decodeUpdateConsumerOffsetHeader({ consumerGroup: 'g', topic: 't', queueId: '0' }))).toEqual(missing('commitOffset'));
    expect(refusal(() => decodeConsumerGroupHeader({}))).toEqual(missing('consumerGroup'));
    expect(refusal(() => decodeUnregisterClientHeader({ producerGroup: 'p' }))).toEqual(missing('clientID'));
    expect(refusal(() => decodeGetRouteInfoHeader(undefined))).toEqual(missing('topic'));
    expect(refusal(() => decodeRegisterBrokerHeader({ clusterName: 'c', brokerName: 'b', brokerAddr: 'a' }))).toEqual(missing('brokerId'));
  });

  it('admin headers: topic, producer group, consume stats, delete subscription group', () => {
    roundTrip(encodeTopicHeader, decodeTopicHeader, { topic: 't' });
    expect(refusal(() => decodeTopicHeader({}))).toEqual(missing('topic'));
    roundTrip(encodeProducerGroupHeader, decodeProducerGroupHeader, { producerGroup: 'p' });
    expect(refusal(() => decodeProducerGroupHeader({ consumerGroup: 'g' }))).toEqual(missing('producerGroup'));
    roundTrip(encodeGetConsumeStatsHeader, decodeGetConsumeStatsHeader, { consumerGroup: 'g', topic: 't' });
    roundTrip(encodeGetConsumeStatsHeader, decodeGetConsumeStatsHeader, { consumerGroup: 'g', topic: undefined });
    expect(refusal(() => decodeGetConsumeStatsHeader({ topic: 't' }))).toEqual(missing('consumerGroup'));
    roundTrip(encodeDeleteSubscriptionGroupHeader, decodeDeleteSubscriptionGroupHeader, { groupName: 'g', cleanOffset: true });
    expect(decodeDeleteSubscriptionGroupHeader({ groupName: 'g' }).cleanOffset).toBe(false);
    expect(refusal(() => decodeDeleteSubscriptionGroupHeader({ cleanOffset: 'true' }))).toEqual(missing('groupName'));
  });

  it('name server headers: data version, topics by cluster, wipe write perm, KV config', () => {
    expect(refusal(() => decodeQueryDataVersionHeader({ brokerName: 'b' }))).toEqual(missing('brokerAddr'));
    roundTrip(encodeGetTopicsByClusterHeader, decodeGetTopicsByClusterHeader, { cluster: 'c' });
    expect(refusal(() => decodeGetTopicsByClusterHeader({}))).toEqual(missing('cluster'));
    roundTrip(encodeWipeWritePermHeader, decodeWipeWritePermHeader, { brokerName: 'b' });
    expect(refusal(() => decodeWipeWritePermHeader({}))).toEqual(missing('brokerName'));
    roundTrip(encodeKvConfigHeader, decodeKvPutHeader, { namespace: 'ORDER_TOPIC_CONFIG', key: 't', value: 'broker-a:4' });
    const keyOnly = toExtFields(encodeKvConfigHeader({ namespace: 'ns', key: 'k' }));
    expect(keyOnly).toEqual({ namespace: 'ns', key: 'k' });
    expect(decodeKvKeyHeader(keyOnly)).toEqual({ namespace: 'ns', key: 'k' });
    expect(refusal(() => decodeKvPutHeader(keyOnly))).toEqual(missing('value'));
    expect(refusal(() => decodeKvKeyHeader({ namespace: 'ns' }))).toEqual(missing('key'));
    expect(decodeKvNamespaceHeader({ namespace: 'ns', key: 'ignored' })).toEqual({ namespace: 'ns' });
    expect(refusal(() => decodeKvNamespaceHeader({ key: 'k' }))).toEqual(missing('namespace'));
  });
});
