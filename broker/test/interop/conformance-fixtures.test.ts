import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBatchBody, encodeBatchBody } from '../../src/message/batch-body.ts';
import { rocketmqCrc32 } from '../../src/message/crc32.ts';
import { javaStringHash } from '../../src/message/java-string-hash.ts';
import { decodeOffsetMsgId } from '../../src/message/message-id.ts';
import { decodeProperties, encodeProperties } from '../../src/message/properties.ts';
import { decodeStoredMessages, encodeStoredMessage } from '../../src/message/stored-message.ts';
import { decodeSendHeader, normalizeHeartbeat, parseFastJson, type RegisterBrokerBody, type TopicRouteData } from '../../src/protocol/index.ts';
import { decodeFrame } from '../../src/remoting/index.ts';

// Bodies and headers of frames captured between the official Java client 5.3.3 and Apache RocketMQ 5.3.3
// (fixtures/java-client, scripts/capture-fixtures.sh), read with Tern's protocol and message codecs. The
// frame codec itself is covered by test/remoting/java-client-fixtures.test.ts; the same frames are replayed
// against a live broker by the conformance suite (interop/conformance, scenarios fixtures-replay-*).
const dir = path.join(import.meta.dirname, '../fixtures/java-client');
const frame = (name: string, format: string) => decodeFrame(fs.readFileSync(path.join(dir, `${name}.${format}.bin`)));
const BROKER = { address: '127.0.0.1', port: 20911 };

/** The raw PROPERTIES string of one stored record (IPv4 hosts, magic v1): kept as is, duplicates included. */
function rawProperties(record: Buffer): string {
  const bodyLength = record.readInt32BE(84);
  const topicLength = record.readInt8(88 + bodyLength);
  const at = 89 + bodyLength + topicLength;
  return record.toString('utf8', at + 2, at + 2 + record.readInt16BE(at));
}

for (const format of ['json', 'binary']) {
  describe(`captured ${format} frames through Tern's codecs`, () => {
    it('SEND_MESSAGE_V2 request: V2 header and properties', () => {
      const cmd = frame('send-message-v2-request', format);
      const header = decodeSendHeader(true, cmd.extFields as Record<string, string>);
      expect(header.topic).toBe('FixtureTopic');
      expect(header.defaultTopic).toBe('TBW102');
      expect(header.producerGroup).toBe('tern_interop_producer');
      const props = decodeProperties(header.properties ?? '');
      expect(props.get('KEYS')).toMatch(/^key-\d$/);
      expect(props.get('TAGS')).toBe('TagA');
      expect(props.get('UNIQ_KEY')).toMatch(/^[0-9A-F]{32,56}$/);
      // Tern writes properties back exactly as the Java client encoded them (trailing separator included)
      expect(encodeProperties(props)).toBe(header.properties);
      expect(cmd.body?.length).toBe(16);
    });

    it('SEND_MESSAGE_V2 response: offsetMsgId names the broker and the CommitLog offset', () => {
      const ext = frame('send-message-v2-response', format).extFields!;
      const id = decodeOffsetMsgId(ext.msgId!);
      expect({ address: id.address, port: id.port }).toEqual(BROKER);
      expect(id.offset).toBeGreaterThanOrEqual(0);
      expect(Object.keys(ext)).toEqual(expect.arrayContaining(['msgId', 'queueId', 'queueOffset', 'transactionId', 'MSG_REGION', 'TRACE_ON']));
    });

    it('SEND_BATCH_MESSAGE: the batch body decodes into three items and encodes back byte for byte', () => {
      const cmd = frame('send-batch-message-request', format);
      const header = decodeSendHeader(true, cmd.extFields as Record<string, string>);
      expect(header.batch).toBe(true);
      const items = decodeBatchBody(cmd.body!);
      expect(items.map((i) => decodeProperties(i.properties).get('KEYS'))).toEqual(['batch-0', 'batch-1', 'batch-2']);
      expect(encodeBatchBody(items).equals(cmd.body!)).toBe(true);

      // one offsetMsgId per item, at increasing CommitLog offsets on the same broker
      const ids = frame('send-batch-message-response', format).extFields!.msgId!.split(',').map(decodeOffsetMsgId);
      expect(ids).toHaveLength(3);
      expect(ids.every((id) => id.address === BROKER.address && id.port === BROKER.port)).toBe(true);
      expect(ids[1]!.offset).toBeGreaterThan(ids[0]!.offset);
      expect(ids[2]!.offset).toBeGreaterThan(ids[1]!.offset);
    });

    it('PULL_MESSAGE FOUND body: Apache stored records decode, and Tern re-encodes each byte for byte', () => {
      const cmd = frame('pull-message-found-response', format);
      const records = decodeStoredMessages(cmd.body!);
      expect(records.length).toBeGreaterThanOrEqual(2);
      expect(records.reduce((sum, r) => sum + r.storeSize, 0)).toBe(cmd.body!.length);
      let at = 0;
      records.forEach((r, i) => {
        const bytes = cmd.body!.subarray(at, at + r.storeSize);
        at += r.storeSize;
        expect(r.topic).toBe('FixtureTopic');
        expect(r.storeHost).toEqual(BROKER);
        expect(r.bodyCRC).toBe(rocketmqCrc32(r.body));
        expect(r.properties.get('CLUSTER')).toBe('DefaultCluster');
        if (i > 0) expect(r.queueOffset).toBe(records[i - 1]!.queueOffset + 1);
        expect(Number(cmd.extFields!.nextBeginOffset)).toBeGreaterThan(r.queueOffset);
        const raw = rawProperties(bytes);
        expect(decodeProperties(raw)).toEqual(r.properties);
        const reencoded = encodeStoredMessage({
          topic: r.topic, queueId: r.queueId, flag: r.flag, queueOffset: r.queueOffset, physicalOffset: r.commitLogOffset,
          sysFlag: r.sysFlag, bornTimestamp: r.bornTimestamp, bornHost: r.bornHost, storeTimestamp: r.storeTimestamp,
          storeHost: r.storeHost, reconsumeTimes: r.reconsumeTimes, preparedTransactionOffset: r.preparedTransactionOffset,
          body: r.body, properties: raw,
        });
        expect(reencoded.equals(bytes)).toBe(true);
        if (r.properties.get('KEYS')!.startsWith('batch-')) {
          // Apache 5.3.3 appends the batch-level properties to every inner message, so UNIQ_KEY appears twice
          // and a map (Java's HashMap, like Tern's) keeps the batch-level one (apache/rocketmq ISSUE #9416).
          expect(raw.split('UNIQ_KEY\u0001').length - 1).toBe(2);
        }
      });
    });

    it('HEART_BEAT body: the consumer group, its subscription and the auto-added retry subscription', () => {
      const cmd = frame('heart-beat-consumer-request', format);
      const heartbeat = normalizeHeartbeat(parseFastJson(cmd.body!));
      expect(heartbeat.clientID).toMatch(/@/);
      const consumer = heartbeat.consumerDataSet.find((c) => c.groupName === 'FixtureGroup')!;
      expect(consumer.consumeFromWhere).toBe('CONSUME_FROM_FIRST_OFFSET');
      expect(consumer.messageModel).toBe('CLUSTERING');
      expect(consumer.subscriptionDataSet.map((s) => s.topic).sort()).toEqual(['%RETRY%FixtureGroup', 'FixtureTopic']);
      expect(heartbeat.producerDataSet.map((p) => p.groupName)).toContain('CLIENT_INNER_PRODUCER');
      const members = JSON.parse(frame('get-consumer-list-by-group-response', format).body!.toString('utf8')) as { consumerIdList: string[] };
      expect(members.consumerIdList).toContain(heartbeat.clientID);
    });

    it('GET_ROUTEINFO_BY_TOPIC response: the route body', () => {
      const route = parseFastJson<TopicRouteData>(frame('get-routeinfo-by-topic-response', format).body!);
      expect(route.brokerDatas[0]!.brokerAddrs['0' as unknown as number]).toBe('127.0.0.1:20911');
      expect(route.queueDatas[0]).toMatchObject({ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    });

    it('REGISTER_BROKER: bodyCrc32 is the masked CRC32 of the body Tern computes, and the topic table parses', () => {
      const cmd = frame('register-broker-request', format);
      expect(Number(cmd.extFields!.bodyCrc32)).toBe(rocketmqCrc32(cmd.body!));
      const body = parseFastJson<RegisterBrokerBody>(cmd.body!);
      expect(Object.keys(body.topicConfigSerializeWrapper.topicConfigTable)).toEqual(expect.arrayContaining(['TBW102', 'SCHEDULE_TOPIC_XXXX']));
    });

    it('PULL_MESSAGE request: the tag code set of the subscription is Java String.hashCode', () => {
      const heartbeat = normalizeHeartbeat(parseFastJson(frame('heart-beat-consumer-request', format).body!));
      const sub = heartbeat.consumerDataSet[0]!.subscriptionDataSet.find((s) => s.topic === 'FixtureTopic')!;
      expect(sub.codeSet).toEqual(sub.tagsSet.map(javaStringHash));
    });
  });
}
