/**
 * The CommitLog record: the bytes the store appends and, unchanged, the elements of a
 * pull/query/view response body. Layout (IPv4 hosts; IPv6 hosts are 20 bytes instead of 8
 * and shift everything after them):
 *
 *   0 TOTALSIZE  4 MAGIC  8 BODYCRC  12 QUEUEID  16 FLAG  20 QUEUEOFFSET(8)  28 PHYSICALOFFSET(8)
 *  36 SYSFLAG  40 BORNTIMESTAMP(8)  48 BORNHOST  56 STORETIMESTAMP(8)  64 STOREHOST
 *  72 RECONSUMETIMES  76 PREPARED_TRANSACTION_OFFSET(8)  84 BODYLEN+BODY
 *  TOPICLEN(1 in v1, 2 in v2)+TOPIC  PROPLEN(2)+PROPERTIES
 *
 * With RocketMQ 5.x's enabledAppendPropCRC the last 20 bytes of PROPERTIES are the property
 * `__CRC32#` 0x01 <10 ASCII digits, least significant first> 0x02, holding the CRC32 (sign bit
 * cleared) of the whole record before those 20 bytes: unlike BODYCRC it covers every header
 * field, the topic and the properties, so a torn write anywhere in the record shows.
 */
import { rocketmqCrc32 } from './crc32.ts';
import { formatIp, ipBytes } from './host-address.ts';
import type { HostAddress } from './host-address.ts';
import { createOffsetMsgId } from './message-id.ts';
import { decodeProperties } from './properties.ts';
import { readInt64BE, writeInt64BE } from './int64.ts';
import { MessageSysFlag } from './sys-flag.ts';

/** 0xDAA320A7 as a Java int: 1-byte topic length. */
export const MESSAGE_MAGIC_CODE_V1 = -626843481;
/** 0xDAA320AB as a Java int: 2-byte topic length (5.x, only for topics longer than 127 bytes). */
export const MESSAGE_MAGIC_CODE_V2 = -626843477;
/** 0xCBD43194 as a Java int: END_OF_FILE filler at a segment's tail. */
export const BLANK_MAGIC_CODE = -875286124;
/** A blank record is TOTALSIZE + MAGIC; a message must leave room for one in its segment. */
export const END_FILE_MIN_BLANK_LENGTH = 8;
/** Topics up to this many bytes use magic v1 (the Go client only reads v1). */
export const MAX_V1_TOPIC_BYTES = 127;

export const TOTAL_SIZE_POSITION = 0;
export const MAGIC_CODE_POSITION = 4;
export const BODY_CRC_POSITION = 8;
export const QUEUE_ID_POSITION = 12;
export const FLAG_POSITION = 16;
export const QUEUE_OFFSET_POSITION = 20;
export const PHYSICAL_OFFSET_POSITION = 28;
export const SYSFLAG_POSITION = 36;
export const BORN_TIMESTAMP_POSITION = 40;
export const BORN_HOST_POSITION = 48;
/** STORETIMESTAMP when the born host is IPv4 (shifted by 12 when it is IPv6). */
export const STORE_TIMESTAMP_POSITION = 56;

/** The whole-record CRC property's name (MessageConst.PROPERTY_CRC32). */
export const PROPERTY_CRC32 = '__CRC32#';
/** `__CRC32#` + 0x01 + 10 digits + 0x02. */
export const CRC32_RESERVED_LENGTH = PROPERTY_CRC32.length + 1 + 10 + 1;
const CRC32_PROPERTY_PREFIX = Buffer.from(`${PROPERTY_CRC32}\u0001`, 'latin1');

/** Fixed bytes of a record besides hosts, body, topic and properties (with a 1-byte topic length). */
const FIXED_BYTES = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 4 + 8 + 4 + 2;

export function bornHostLength(sysFlag: number): number {
  return (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) !== 0 ? 20 : 8;
}

export function storeHostLength(sysFlag: number): number {
  return (sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) !== 0 ? 20 : 8;
}

export function storeTimestampPosition(sysFlag: number): number {
  return BORN_HOST_POSITION + bornHostLength(sysFlag);
}

/** Position of BODYLEN relative to the record start. */
export function bodyLengthPosition(sysFlag: number): number {
  return BORN_HOST_POSITION + bornHostLength(sysFlag) + 8 + storeHostLength(sysFlag) + 4 + 8;
}

/** What a record holds before the store assigns offsets and the store time. */
export interface StoredMessageFields {
  topic: string;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  /** V6 host bits are recomputed from the host addresses on encode. */
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** Encoded properties string. */
  properties: string;
}

/** Lengths measured once and reused by the encoder (a caller may keep one instance). */
export interface StoredMessageMeasure {
  topicBytes: number;
  /** PROPLEN: the properties string, plus the CRC property (and a separator before it) when reserved. */
  propertiesBytes: number;
  sysFlag: number;
  totalSize: number;
  /** Bytes appended after the properties string for the CRC property: 0, 20, or 21 with a separator. */
  crcReserved: number;
}

export function newMeasure(): StoredMessageMeasure {
  return { topicBytes: 0, propertiesBytes: 0, sysFlag: 0, totalSize: 0, crcReserved: 0 };
}

/**
 * Fills `out` with the byte lengths and final sysFlag of the record `msg` would become; with
 * `withRecordCrc` it reserves the whole-record CRC property (encodeStoredMessageInto fills it).
 */
export function measureStoredMessage(
  msg: Pick<StoredMessageFields, 'topic' | 'sysFlag' | 'bornHost' | 'storeHost' | 'body' | 'properties'>,
  out: StoredMessageMeasure = newMeasure(),
  withRecordCrc = false,
): StoredMessageMeasure {
  const topicBytes = Buffer.byteLength(msg.topic, 'utf8');
  let crcReserved = 0;
  if (withRecordCrc) {
    // The CRC property must start a new pair: add the separator the string may lack, as RocketMQ does.
    const needsSeparator = msg.properties.length > 0 && !msg.properties.endsWith('\u0002');
    crcReserved = CRC32_RESERVED_LENGTH + (needsSeparator ? 1 : 0);
  }
  out.crcReserved = crcReserved;
  const propertiesBytes = Buffer.byteLength(msg.properties, 'utf8') + crcReserved;
  const bornV6 = ipBytes(msg.bornHost.address).length === 16;
  const storeV6 = ipBytes(msg.storeHost.address).length === 16;
  const sysFlag =
    (msg.sysFlag & ~(MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG)) |
    (bornV6 ? MessageSysFlag.BORNHOST_V6_FLAG : 0) |
    (storeV6 ? MessageSysFlag.STOREHOSTADDRESS_V6_FLAG : 0);
  out.topicBytes = topicBytes;
  out.propertiesBytes = propertiesBytes;
  out.sysFlag = sysFlag;
  out.totalSize =
    FIXED_BYTES +
    (bornV6 ? 20 : 8) +
    (storeV6 ? 20 : 8) +
    msg.body.length +
    (topicBytes > MAX_V1_TOPIC_BYTES ? 2 : 1) +
    topicBytes +
    propertiesBytes;
  return out;
}

function writeHost(target: Buffer, pos: number, host: HostAddress): number {
  const ip = ipBytes(host.address);
  target.set(ip, pos);
  target.writeInt32BE(host.port | 0, pos + ip.length);
  return pos + ip.length + 4;
}

/**
 * Encodes `msg` into `target` at `pos` using lengths from measureStoredMessage(msg); returns
 * the record size. The caller guarantees room and that topic/properties fit their length
 * fields (topic <= 32767 bytes, properties <= 32767 bytes).
 */
export function encodeStoredMessageInto(
  target: Buffer,
  pos: number,
  msg: StoredMessageFields,
  m: StoredMessageMeasure,
): number {
  const v2 = m.topicBytes > MAX_V1_TOPIC_BYTES;
  target.writeInt32BE(m.totalSize, pos);
  target.writeInt32BE(v2 ? MESSAGE_MAGIC_CODE_V2 : MESSAGE_MAGIC_CODE_V1, pos + 4);
  target.writeInt32BE(rocketmqCrc32(msg.body), pos + 8);
  target.writeInt32BE(msg.queueId | 0, pos + 12);
  target.writeInt32BE(msg.flag | 0, pos + 16);
  writeInt64BE(target, msg.queueOffset, pos + 20);
  writeInt64BE(target, msg.physicalOffset, pos + 28);
  target.writeInt32BE(m.sysFlag | 0, pos + 36);
  writeInt64BE(target, msg.bornTimestamp, pos + 40);
  let p = writeHost(target, pos + 48, msg.bornHost);
  writeInt64BE(target, msg.storeTimestamp, p);
  p = writeHost(target, p + 8, msg.storeHost);
  target.writeInt32BE(msg.reconsumeTimes | 0, p);
  writeInt64BE(target, msg.preparedTransactionOffset, p + 4);
  p += 12;
  target.writeInt32BE(msg.body.length, p);
  p += 4;
  target.set(msg.body, p);
  p += msg.body.length;
  if (v2) {
    target.writeInt16BE(m.topicBytes, p);
    p += 2;
  } else {
    target[p++] = m.topicBytes;
  }
  p += target.write(msg.topic, p, m.topicBytes, 'utf8');
  target.writeInt16BE(m.propertiesBytes, p);
  p += 2;
  const stringBytes = m.propertiesBytes - m.crcReserved;
  if (stringBytes > 0) p += target.write(msg.properties, p, stringBytes, 'utf8');
  if (m.crcReserved > 0) {
    if (m.crcReserved > CRC32_RESERVED_LENGTH) target[p++] = 0x02;
    p = writeRecordCrcProperty(target, p, rocketmqCrc32(target, pos, p));
  }
  return p - pos;
}

/** Writes `__CRC32#` 0x01 <crc's 10 decimal digits, least significant first> 0x02 at `p`; returns the end. */
function writeRecordCrcProperty(target: Buffer, p: number, crc: number): number {
  CRC32_PROPERTY_PREFIX.copy(target, p);
  p += CRC32_PROPERTY_PREFIX.length;
  let v = crc;
  for (let i = 0; i < 10; i++) {
    target[p++] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  target[p++] = 0x02;
  return p;
}

/**
 * The whole-record CRC of the record ending at `end` if its properties end with the CRC property
 * (`propertiesStart` bounds the search): 'absent', or whether it matches.
 */
function recordCrcState(buf: Buffer, pos: number, propertiesStart: number, end: number): 'absent' | 'ok' | 'bad' {
  const at = end - CRC32_RESERVED_LENGTH;
  if (at < propertiesStart || buf[end - 1] !== 0x02 || buf.compare(CRC32_PROPERTY_PREFIX, 0, CRC32_PROPERTY_PREFIX.length, at, at + CRC32_PROPERTY_PREFIX.length) !== 0) {
    return 'absent';
  }
  // The pair must begin the properties or follow a separator.
  if (at > propertiesStart && buf[at - 1] !== 0x02) return 'absent';
  let stored = 0;
  for (let i = 9; i >= 0; i--) {
    const d = buf[at + CRC32_PROPERTY_PREFIX.length + i]! - 0x30;
    if (d < 0 || d > 9) return 'bad';
    stored = stored * 10 + d;
  }
  return rocketmqCrc32(buf, pos, at) === stored ? 'ok' : 'bad';
}

/** Convenience: the record as a new Buffer. */
export function encodeStoredMessage(msg: StoredMessageFields): Buffer {
  const m = measureStoredMessage(msg);
  const buf = Buffer.allocUnsafe(m.totalSize);
  encodeStoredMessageInto(buf, 0, msg, m);
  return buf;
}

/** Writes an END_OF_FILE blank covering `remaining` bytes (only its 8-byte head is written). */
export function encodeBlankInto(target: Buffer, pos: number, remaining: number): void {
  target.writeInt32BE(remaining, pos);
  target.writeInt32BE(BLANK_MAGIC_CODE, pos + 4);
}

export function patchQueueOffset(record: Buffer, pos: number, queueOffset: number): void {
  writeInt64BE(record, queueOffset, pos + QUEUE_OFFSET_POSITION);
}

export function patchPhysicalOffset(record: Buffer, pos: number, physicalOffset: number): void {
  writeInt64BE(record, physicalOffset, pos + PHYSICAL_OFFSET_POSITION);
}

/** STORETIMESTAMP moves when the born host is IPv6, so its position comes from SYSFLAG. */
export function patchStoreTimestamp(record: Buffer, pos: number, storeTimestamp: number): void {
  const sysFlag = record.readInt32BE(pos + SYSFLAG_POSITION);
  writeInt64BE(record, storeTimestamp, pos + storeTimestampPosition(sysFlag));
}

export function readStoreTimestamp(record: Buffer, pos: number): number {
  const sysFlag = record.readInt32BE(pos + SYSFLAG_POSITION);
  return readInt64BE(record, pos + storeTimestampPosition(sysFlag));
}

/** A decoded record, RocketMQ's MessageExt. */
export interface MessageExt {
  topic: string;
  queueId: number;
  flag: number;
  queueOffset: number;
  commitLogOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  /** A view into the decoded buffer, not a copy. */
  body: Buffer;
  properties: Map<string, string>;
  bodyCRC: number;
  storeSize: number;
  /** offsetMsgId built from storeHost and commitLogOffset. */
  msgId: string;
}

/**
 * Decodes the record at `pos`. Throws if the bytes are not a complete message record
 * (blank records included); no CRC check, as clients don't check either.
 */
export function decodeStoredMessage(buf: Buffer, pos = 0): MessageExt {
  const s = readRecordSummary(buf, pos, newRecordSummary(), buf.length - pos);
  if (s.status !== RecordStatus.MESSAGE) throw new Error(`no message record at ${pos}`);
  const bornLen = bornHostLength(s.sysFlag) - 4;
  const storeLen = storeHostLength(s.sysFlag) - 4;
  const bornPos = pos + BORN_HOST_POSITION;
  const storePos = bornPos + bornLen + 4 + 8;
  const storeHost = { address: formatIp(buf, storePos, storeLen), port: buf.readInt32BE(storePos + storeLen) };
  return {
    topic: s.topic,
    queueId: s.queueId,
    flag: s.flag,
    queueOffset: s.queueOffset,
    commitLogOffset: s.physicalOffset,
    sysFlag: s.sysFlag,
    bornTimestamp: s.bornTimestamp,
    bornHost: { address: formatIp(buf, bornPos, bornLen), port: buf.readInt32BE(bornPos + bornLen) },
    storeTimestamp: s.storeTimestamp,
    storeHost,
    reconsumeTimes: s.reconsumeTimes,
    preparedTransactionOffset: s.preparedTransactionOffset,
    body: buf.subarray(s.bodyPosition, s.bodyPosition + s.bodyLength),
    properties: decodeProperties(buf.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength)),
    bodyCRC: s.bodyCrc,
    storeSize: s.totalSize,
    msgId: createOffsetMsgId(storeHost, s.physicalOffset),
  };
}

/** Decodes a concatenation of records (a pull body); stops at a truncated or non-message tail. */
export function decodeStoredMessages(buf: Buffer): MessageExt[] {
  const out: MessageExt[] = [];
  const summary = newRecordSummary();
  let pos = 0;
  while (pos + 4 <= buf.length) {
    readRecordSummary(buf, pos, summary, buf.length - pos);
    if (summary.status !== RecordStatus.MESSAGE) break;
    out.push(decodeStoredMessage(buf, pos));
    pos += summary.totalSize;
  }
  return out;
}

/** What readRecordSummary found at a position. */
export const RecordStatus = {
  MESSAGE: 'MESSAGE',
  BLANK: 'BLANK',
  /** Fewer bytes available than the record claims (or than a header needs). */
  TRUNCATED: 'TRUNCATED',
  INVALID: 'INVALID',
} as const;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/**
 * The fields the store needs from a record without decoding hosts, body or properties.
 * Reused across calls to keep the dispatch loop allocation-free apart from the topic.
 */
export interface RecordSummary {
  status: RecordStatus;
  totalSize: number;
  magic: number;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  storeTimestamp: number;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  bodyPosition: number;
  bodyLength: number;
  topic: string;
  propertiesPosition: number;
  propertiesLength: number;
}

export function newRecordSummary(): RecordSummary {
  return {
    status: RecordStatus.INVALID,
    totalSize: 0,
    magic: 0,
    bodyCrc: 0,
    queueId: 0,
    flag: 0,
    queueOffset: 0,
    physicalOffset: 0,
    sysFlag: 0,
    bornTimestamp: 0,
    storeTimestamp: 0,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    bodyPosition: 0,
    bodyLength: 0,
    topic: '',
    propertiesPosition: 0,
    propertiesLength: 0,
  };
}

const MIN_MESSAGE_SIZE = FIXED_BYTES + 16;

/**
 * Reads the record at `pos` with `available` bytes readable from there. Checks structure
 * (magic, lengths adding up to TOTALSIZE); with `checkCrc` also the body CRC and, when the
 * record carries one, the whole-record CRC property; with `requireRecordCrc` a record without
 * that property is invalid too. Positions in `out` are absolute in `buf`.
 */
export function readRecordSummary(
  buf: Buffer,
  pos: number,
  out: RecordSummary,
  available: number,
  checkCrc = false,
  requireRecordCrc = false,
): RecordSummary {
  out.status = RecordStatus.INVALID;
  if (available < 8) {
    out.status = RecordStatus.TRUNCATED;
    return out;
  }
  const totalSize = buf.readInt32BE(pos);
  const magic = buf.readInt32BE(pos + 4);
  out.totalSize = totalSize;
  out.magic = magic;
  if (magic === BLANK_MAGIC_CODE) {
    out.status = totalSize >= END_FILE_MIN_BLANK_LENGTH ? RecordStatus.BLANK : RecordStatus.INVALID;
    return out;
  }
  if (magic !== MESSAGE_MAGIC_CODE_V1 && magic !== MESSAGE_MAGIC_CODE_V2) return out;
  if (totalSize < MIN_MESSAGE_SIZE) return out;
  if (totalSize > available) {
    out.status = RecordStatus.TRUNCATED;
    return out;
  }
  const end = pos + totalSize;
  const sysFlag = buf.readInt32BE(pos + SYSFLAG_POSITION);
  const bornLen = bornHostLength(sysFlag);
  const storeLen = storeHostLength(sysFlag);
  const storeTsPos = pos + BORN_HOST_POSITION + bornLen;
  const afterStoreHost = storeTsPos + 8 + storeLen;
  const bodyLenPos = afterStoreHost + 12;
  if (bodyLenPos + 4 > end) return out;
  const bodyLength = buf.readInt32BE(bodyLenPos);
  const bodyPosition = bodyLenPos + 4;
  if (bodyLength < 0 || bodyPosition + bodyLength > end) return out;
  let p = bodyPosition + bodyLength;
  let topicLength: number;
  if (magic === MESSAGE_MAGIC_CODE_V1) {
    if (p + 1 > end) return out;
    topicLength = buf[p]!;
    p += 1;
  } else {
    if (p + 2 > end) return out;
    topicLength = buf.readInt16BE(p);
    p += 2;
  }
  if (topicLength < 0 || p + topicLength + 2 > end) return out;
  const topicPos = p;
  p += topicLength;
  const propertiesLength = buf.readInt16BE(p);
  p += 2;
  if (propertiesLength < 0 || p + propertiesLength !== end) return out;
  const bodyCrc = buf.readInt32BE(pos + BODY_CRC_POSITION);
  if (checkCrc && rocketmqCrc32(buf, bodyPosition, bodyPosition + bodyLength) !== bodyCrc) return out;
  if (checkCrc || requireRecordCrc) {
    const state = recordCrcState(buf, pos, p, end);
    if (state === 'bad' || (state === 'absent' && requireRecordCrc)) return out;
  }

  out.bodyCrc = bodyCrc;
  out.queueId = buf.readInt32BE(pos + QUEUE_ID_POSITION);
  out.flag = buf.readInt32BE(pos + FLAG_POSITION);
  out.queueOffset = readInt64BE(buf, pos + QUEUE_OFFSET_POSITION);
  out.physicalOffset = readInt64BE(buf, pos + PHYSICAL_OFFSET_POSITION);
  out.sysFlag = sysFlag;
  out.bornTimestamp = readInt64BE(buf, pos + BORN_TIMESTAMP_POSITION);
  out.storeTimestamp = readInt64BE(buf, storeTsPos);
  out.reconsumeTimes = buf.readInt32BE(afterStoreHost);
  out.preparedTransactionOffset = readInt64BE(buf, afterStoreHost + 4);
  out.bodyPosition = bodyPosition;
  out.bodyLength = bodyLength;
  out.topic = buf.toString('utf8', topicPos, topicPos + topicLength);
  out.propertiesPosition = p;
  out.propertiesLength = propertiesLength;
  out.status = RecordStatus.MESSAGE;
  return out;
}

/** The properties of the record at `pos` (for commit-log filters), decoded into a Map. */
export function readRecordProperties(buf: Buffer, pos: number): Map<string, string> {
  const s = readRecordSummary(buf, pos, newRecordSummary(), buf.length - pos);
  if (s.status !== RecordStatus.MESSAGE) throw new Error(`no message record at ${pos}`);
  return decodeProperties(buf.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength));
}
