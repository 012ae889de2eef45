import { inflateSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import type { Message } from '../message/message.ts';
import { messageFromProperties } from '../message/message.ts';
import { MessageConst } from '../message/properties.ts';
import { decodeStoredMessages, type MessageExt } from '../message/stored-message.ts';
import { compressionType, MessageSysFlag } from '../message/sys-flag.ts';
import { RETRY_GROUP_TOPIC_PREFIX } from '../protocol/index.ts';
import type { MessageQueue } from './message-queue.ts';

/** A message as a consumer receives it: the producer's message plus where and when it was stored. */
export interface ReceivedMessage extends Message {
  properties: Map<string, string>;
  /** The producer's UNIQ_KEY when there is one, else the offsetMsgId (what Java's getMsgId returns). */
  msgId: string;
  /** Store host + commit log offset, made by the broker. */
  offsetMsgId: string;
  brokerName: string;
  queueId: number;
  /** Position in its queue; the unit consumer offsets count in. */
  queueOffset: number;
  commitLogOffset: number;
  bornTimestamp: number;
  storeTimestamp: number;
  /** `ip:port` of the producer's connection, as the broker saw it. */
  bornHost: string;
  /** `ip:port` of the broker that stored it. */
  storeHost: string;
  /** How many times it was handed back for reconsumption (0 on first delivery). */
  reconsumeTimes: number;
  sysFlag: number;
}

const zstdDecompress = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;

/** A compressed body (COMPRESSED_FLAG) back to its bytes, by the compression type in the sys flag. */
export function decompressBody(body: Buffer, sysFlag: number): Buffer {
  const type = compressionType(sysFlag);
  if (type === 0 || type === MessageSysFlag.COMPRESSION_ZLIB_TYPE) return inflateSync(body);
  if (type === MessageSysFlag.COMPRESSION_ZSTD_TYPE && zstdDecompress) return zstdDecompress(body);
  throw new Error(`compression type ${type >> 8} (LZ4) is not supported by this client`);
}

/**
 * Turns a PULL_MESSAGE body (concatenated stored records) into received messages: bodies
 * decompressed, MIN_OFFSET/MAX_OFFSET added as Java does, and messages of the group's retry topic
 * given back their original topic (RETRY_TOPIC property).
 */
export function decodePulledMessages(
  body: Buffer,
  mq: MessageQueue,
  offsets: { minOffset: number; maxOffset: number },
  onUndecodable?: (offset: number, reason: string) => void,
): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  const isRetryTopic = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
  for (const ext of decodeStoredMessages(body)) {
    ext.properties.set(MessageConst.MIN_OFFSET, String(offsets.minOffset));
    ext.properties.set(MessageConst.MAX_OFFSET, String(offsets.maxOffset));
    const originalTopic = isRetryTopic ? ext.properties.get(MessageConst.RETRY_TOPIC) : undefined;
    out.push(receivedFromStored(ext, mq.brokerName, mq.queueId, originalTopic, onUndecodable));
  }
  return out;
}

/** One stored record as a received message, its body decompressed; `topic` overrides the stored topic. */
export function receivedFromStored(
  ext: MessageExt, brokerName: string, queueId: number, topic?: string, onUndecodable?: (offset: number, reason: string) => void,
): ReceivedMessage {
  let payload = ext.body;
  if ((ext.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) {
    try {
      payload = decompressBody(ext.body, ext.sysFlag);
    } catch (err) {
      onUndecodable?.(ext.queueOffset, (err as Error).message);
    }
  }
  const props = ext.properties;
  const base = messageFromProperties(topic ?? ext.topic, payload, ext.flag, props);
  return {
    ...base,
    properties: props,
    msgId: props.get(MessageConst.UNIQ_KEY) ?? ext.msgId,
    offsetMsgId: ext.msgId,
    brokerName,
    queueId,
    queueOffset: ext.queueOffset,
    commitLogOffset: ext.commitLogOffset,
    bornTimestamp: ext.bornTimestamp,
    storeTimestamp: ext.storeTimestamp,
    bornHost: hostText(ext.bornHost),
    storeHost: hostText(ext.storeHost),
    reconsumeTimes: ext.reconsumeTimes,
    sysFlag: ext.sysFlag,
  };
}

function hostText(h: { address: string; port: number }): string {
  return h.address.includes(':') ? `[${h.address}]:${h.port}` : `${h.address}:${h.port}`;
}
