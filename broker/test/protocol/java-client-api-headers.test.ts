import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame, isOneway, MQVersion, toExtFields, type HeaderInput } from '../../src/remoting/index.ts';
import {
  decodeConsumerGroupHeader, decodeConsumerSendBackHeader, decodeCreateTopicHeader, decodeDeleteSubscriptionGroupHeader,
  decodeDeleteTopicHeader, decodeEndTransactionHeader, decodeGetConsumeStatsHeader, decodeGetTopicsByClusterHeader, decodeKvKeyHeader,
  decodeKvNamespaceHeader, decodeKvPutHeader, decodeProducerGroupHeader, decodeQueryMessageHeader, decodeQueueOffsetHeader,
  decodeResetOffsetHeader, decodeSearchOffsetHeader, decodeTopicHeader, decodeViewMessageHeader, decodeWipeWritePermHeader,
  encodeConsumerGroupHeader, encodeConsumerSendBackHeader, encodeCreateTopicHeader, encodeDeleteSubscriptionGroupHeader,
  encodeDeleteTopicHeader, encodeEndTransactionHeader, encodeGetConsumeStatsHeader, encodeGetTopicsByClusterHeader, encodeKvConfigHeader,
  encodeProducerGroupHeader, encodeQueryMessageHeader, encodeQueueOffsetHeader, encodeResetOffsetHeader, encodeSearchOffsetHeader,
  encodeTopicHeader, encodeViewMessageHeader, encodeWipeWritePermHeader,
} from '../../src/protocol/index.ts';

// Request frames of the official Java client 5.3.3's API calls, recorded in this repo's harness (see the folder's README).
const dir = path.join(import.meta.dirname, '../fixtures/java-client-api');

function captured(name: string, format: 'json' | 'binary'): Record<string, string> {
  const cmd = decodeFrame(fs.readFileSync(path.join(dir, `${name}.${format}.bin`)));
  expect(cmd.language).toBe('JAVA');
  expect(cmd.version).toBe(MQVersion.V5_3_3);
  if (!cmd.extFields) throw new Error(`${name} has no extFields`);
  return cmd.extFields;
}

/**
 * Decodes the captured header, re-encodes it and compares with the captured fields, minus the ones Tern does not
 * read (each must be there, so the list stays true). Returns the decoded header for checks of typed values.
 */
function roundTrip<T>(ext: Record<string, string>, decode: (e: Record<string, string>) => T, encode: (h: T) => HeaderInput, unread: string[] = []): T {
  const h = decode(ext);
  const expected = { ...ext };
  for (const name of unread) {
    expect(expected, `captured frame should carry ${name}`).toHaveProperty(name);
    delete expected[name];
  }
  expect(toExtFields(encode(h))).toEqual(expected);
  return h;
}

const topic = 'CaptureTopic';

describe.each(['json', 'binary'] as const)('request headers of the Java client API (%s headers)', (format) => {
  it('UPDATE_AND_CREATE_TOPIC', () => {
    const ext = captured('update-and-create-topic-request', format);
    // Tern has no topic attributes nor forced updates; the JSON form also carries attributes, empty.
    const unread = ['force', ...('attributes' in ext ? ['attributes'] : [])];
    expect(roundTrip(ext, decodeCreateTopicHeader, encodeCreateTopicHeader, unread)).toEqual({
      topic, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    });
  });

  it('GET_MAX_OFFSET, GET_MIN_OFFSET, GET_EARLIEST_MSG_STORETIME', () => {
    const queue = { topic, queueId: 1, brokerName: 'broker-a' };
    // `committed` asks for the dispatched end; Tern's max offset is always that one.
    expect(roundTrip(captured('get-max-offset-request', format), decodeQueueOffsetHeader, encodeQueueOffsetHeader, ['committed'])).toEqual(queue);
    expect(roundTrip(captured('get-min-offset-request', format), decodeQueueOffsetHeader, encodeQueueOffsetHeader)).toEqual(queue);
    expect(roundTrip(captured('get-earliest-msg-storetime-request', format), decodeQueueOffsetHeader, encodeQueueOffsetHeader)).toEqual(queue);
  });

  it('SEARCH_OFFSET_BY_TIMESTAMP', () => {
    const ext = captured('search-offset-by-timestamp-request', format);
    // The Java client sends the enum name: LOWER, the first message at or after the time.
    expect(ext.boundaryType).toBe('LOWER');
    const h = roundTrip(ext, decodeSearchOffsetHeader, encodeSearchOffsetHeader);
    expect(h).toEqual({ topic, queueId: 1, timestamp: Number(ext.timestamp), brokerName: 'broker-a', boundary: 'lower' });
    expect(h.timestamp).toBeGreaterThan(1_700_000_000_000);
  });

  it('VIEW_MESSAGE_BY_ID', () => {
    expect(roundTrip(captured('view-message-by-id-request', format), decodeViewMessageHeader, encodeViewMessageHeader)).toEqual({ offset: 0, topic });
  });

  it('QUERY_MESSAGE by key and by unique key', () => {
    const byKey = captured('query-message-request', format);
    // The Java client says "_UNIQUE_KEY_QUERY: false" outright; Tern's encoder leaves the flag out, which means the same.
    expect(byKey._UNIQUE_KEY_QUERY).toBe('false');
    expect(roundTrip(byKey, decodeQueryMessageHeader, encodeQueryMessageHeader, ['_UNIQUE_KEY_QUERY'])).toEqual({
      topic, key: 'capture-key', maxNum: 32, beginTimestamp: 0, endTimestamp: Number.MAX_SAFE_INTEGER, uniqueKeyQuery: false,
    });
    const byUniqueKey = captured('query-message-unique-key-request', format);
    const h = roundTrip(byUniqueKey, decodeQueryMessageHeader, encodeQueryMessageHeader);
    expect(h).toMatchObject({ topic, maxNum: 32, endTimestamp: Number.MAX_SAFE_INTEGER, uniqueKeyQuery: true });
    expect(h.key).toMatch(/^[0-9A-F]{56}$/);
    expect(byUniqueKey.endTimestamp).toBe('9223372036854775807');
  });

  it('CONSUMER_SEND_MSG_BACK', () => {
    const ext = captured('consumer-send-msg-back-request', format);
    const h = roundTrip(ext, (e) => decodeConsumerSendBackHeader(e, MQVersion.V5_3_3), encodeConsumerSendBackHeader);
    expect(h).toEqual({
      offset: 0, group: 'CaptureGroup', delayLevel: 0, originMsgId: ext.originMsgId, originTopic: topic, maxReconsumeTimes: 16, brokerName: 'broker-a',
    });
    expect(ext.unitMode).toBe('false');
  });

  it('END_TRANSACTION (oneway)', () => {
    const ext = captured('end-transaction-oneway-request', format);
    expect(isOneway(decodeFrame(fs.readFileSync(path.join(dir, `end-transaction-oneway-request.${format}.bin`))))).toBe(true);
    // The broker finds the half message by its offsets and checks the producer group; the ids are not needed.
    const h = roundTrip(ext, decodeEndTransactionHeader, encodeEndTransactionHeader, ['topic', 'msgId', 'transactionId', 'bname']);
    expect(h).toEqual({
      producerGroup: 'CaptureTxProducerGroup', tranStateTableOffset: 0, commitLogOffset: Number(ext.commitLogOffset), commitOrRollback: 8,
      fromTransactionCheck: false,
    });
    expect(h.commitLogOffset).toBeGreaterThan(0);
  });

  it('INVOKE_BROKER_TO_RESET_OFFSET', () => {
    const ext = captured('invoke-broker-to-reset-offset-request', format);
    // offset -1 (and queueId -1) is "reset by timestamp"; a queue id with an offset resets that queue to it.
    expect(ext.offset).toBe('-1');
    expect(roundTrip(ext, decodeResetOffsetHeader, encodeResetOffsetHeader)).toEqual({
      topic, group: 'CaptureGroup', timestamp: Number(ext.timestamp), force: true, queueId: -1, offset: -1,
    });
  });

  it('topic and group lookups of the admin tools', () => {
    // `lo` asks for static-topic logic queue mappings, which Tern does not have.
    expect(roundTrip(captured('get-topic-config-request', format), decodeTopicHeader, encodeTopicHeader, ['lo'])).toEqual({ topic });
    expect(roundTrip(captured('get-topic-stats-info-request', format), decodeTopicHeader, encodeTopicHeader)).toEqual({ topic });
    expect(roundTrip(captured('query-topic-consume-by-who-request', format), decodeTopicHeader, encodeTopicHeader)).toEqual({ topic });
    expect(roundTrip(captured('get-consume-stats-request', format), decodeGetConsumeStatsHeader, encodeGetConsumeStatsHeader))
      .toEqual({ consumerGroup: 'CaptureGroup', topic });
    expect(roundTrip(captured('get-consumer-connection-list-request', format), decodeConsumerGroupHeader, encodeConsumerGroupHeader))
      .toEqual({ consumerGroup: 'CaptureGroup' });
    expect(roundTrip(captured('get-producer-connection-list-request', format), decodeProducerGroupHeader, encodeProducerGroupHeader))
      .toEqual({ producerGroup: 'CaptureProducerGroup' });
    expect(roundTrip(captured('delete-subscriptiongroup-request', format), decodeDeleteSubscriptionGroupHeader, encodeDeleteSubscriptionGroupHeader))
      .toEqual({ groupName: 'CaptureGroup', cleanOffset: true });
    expect(roundTrip(captured('delete-topic-in-broker-request', format), decodeDeleteTopicHeader, encodeDeleteTopicHeader))
      .toEqual({ topic, clusterName: undefined });
  });

  it('name server admin requests', () => {
    expect(roundTrip(captured('delete-topic-in-namesrv-request', format), decodeDeleteTopicHeader, encodeDeleteTopicHeader))
      .toEqual({ topic, clusterName: 'DefaultCluster' });
    expect(roundTrip(captured('get-topics-by-cluster-request', format), decodeGetTopicsByClusterHeader, encodeGetTopicsByClusterHeader))
      .toEqual({ cluster: 'DefaultCluster' });
    expect(roundTrip(captured('wipe-write-perm-of-broker-request', format), decodeWipeWritePermHeader, encodeWipeWritePermHeader))
      .toEqual({ brokerName: 'broker-a' });
    const kv = { namespace: 'CaptureNamespace', key: 'capture-key' };
    expect(roundTrip(captured('put-kv-config-request', format), decodeKvPutHeader, encodeKvConfigHeader)).toEqual({ ...kv, value: 'capture-value' });
    expect(roundTrip(captured('get-kv-config-request', format), decodeKvKeyHeader, encodeKvConfigHeader)).toEqual(kv);
    expect(roundTrip(captured('delete-kv-config-request', format), decodeKvKeyHeader, encodeKvConfigHeader)).toEqual(kv);
    expect(roundTrip(captured('get-kvlist-by-namespace-request', format), decodeKvNamespaceHeader, encodeKvConfigHeader))
      .toEqual({ namespace: 'CaptureNamespace' });
  });
});
