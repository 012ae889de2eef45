/**
 * The message properties string: `key \x01 value \x02` per pair, with a trailing \x02.
 * It travels in the send header's `properties` field and, UTF-8 encoded, in every record.
 */

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
/** KEYS holds several keys separated by one space. */
export const KEY_SEPARATOR = ' ';
/** Properties longer than this (in bytes) do not fit the record's int16 PROPLEN. */
export const MAX_PROPERTIES_BYTES = 32767;

/** Well-known property keys (RocketMQ's MessageConst), spelled exactly as on the wire. */
export const MessageConst = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  BUYER_ID: 'BUYER_ID',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  TRANSFER_FLAG: 'TRANSFER_FLAG',
  CORRECTION_FLAG: 'CORRECTION_FLAG',
  MQ2_FLAG: 'MQ2_FLAG',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  UNIQ_KEY: 'UNIQ_KEY',
  EXTEND_UNIQ_INFO: 'EXTEND_UNIQ_INFO',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  CONSUME_START_TIME: 'CONSUME_START_TIME',
  INNER_NUM: 'INNER_NUM',
  INNER_BASE: 'INNER_BASE',
  DUP_INFO: 'DUP_INFO',
  CHECK_IMMUNITY_TIME_IN_SECONDS: 'CHECK_IMMUNITY_TIME_IN_SECONDS',
  TRAN_PREPARED_QUEUE_OFFSET: 'TRAN_PREPARED_QUEUE_OFFSET',
  TRANSACTION_ID: '__transactionId__',
  TRANSACTION_CHECK_TIMES: 'TRANSACTION_CHECK_TIMES',
  INSTANCE_ID: 'INSTANCE_ID',
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  CLUSTER: 'CLUSTER',
  MSG_TYPE: 'MSG_TYPE',
  POP_CK: 'POP_CK',
  POP_CK_OFFSET: 'POP_CK_OFFSET',
  FIRST_POP_TIME: '1ST_POP_TIME',
  SHARDING_KEY: '__SHARDINGKEY',
  FORWARD_QUEUE_ID: 'PROPERTY_FORWARD_QUEUE_ID',
  REDIRECT: 'REDIRECT',
  INNER_MULTI_DISPATCH: 'INNER_MULTI_DISPATCH',
  INNER_MULTI_QUEUE_OFFSET: 'INNER_MULTI_QUEUE_OFFSET',
  TRACE_CONTEXT: 'TRACE_CONTEXT',
  TIMER_DELAY_SEC: 'TIMER_DELAY_SEC',
  TIMER_DELAY_MS: 'TIMER_DELAY_MS',
  TIMER_DELIVER_MS: 'TIMER_DELIVER_MS',
  TIMER_ENQUEUE_MS: 'TIMER_ENQUEUE_MS',
  TIMER_DEQUEUE_MS: 'TIMER_DEQUEUE_MS',
  TIMER_ROLL_TIMES: 'TIMER_ROLL_TIMES',
  TIMER_OUT_MS: 'TIMER_OUT_MS',
  TIMER_DEL_UNIQKEY: 'TIMER_DEL_UNIQKEY',
  TIMER_DELAY_LEVEL: 'TIMER_DELAY_LEVEL',
  BORN_HOST: '__BORNHOST',
  BORN_TIMESTAMP: 'BORN_TIMESTAMP',
  TRANSIENT_PREFIX: '__RMQ.TRANSIENT.',
  CRC32: '__CRC32#',
  DLQ_ORIGIN_TOPIC: 'DLQ_ORIGIN_TOPIC',
  DLQ_ORIGIN_MESSAGE_ID: 'DLQ_ORIGIN_MESSAGE_ID',
  STARTDELIVERTIME: '__STARTDELIVERTIME',
} as const;

export type PropertiesInput = ReadonlyMap<string, string> | Readonly<Record<string, string | undefined>>;

/** Encodes pairs in iteration order; undefined values are skipped (Java skips nulls). */
export function encodeProperties(props: PropertiesInput): string {
  let out = '';
  if (props instanceof Map) {
    for (const [k, v] of props as ReadonlyMap<string, string>) {
      if (v === undefined || v === null) continue;
      out += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
    }
    return out;
  }
  const rec = props as Readonly<Record<string, string | undefined>>;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (v === undefined || v === null) continue;
    out += k + NAME_VALUE_SEPARATOR + v + PROPERTY_SEPARATOR;
  }
  return out;
}

/**
 * Parses like RocketMQ 5.x: segments shorter than 3 chars are ignored, the key ends at the
 * first \x01, and both key and value must be non-empty; a later duplicate key wins.
 */
export function decodeProperties(s: string): Map<string, string> {
  const map = new Map<string, string>();
  const len = s.length;
  let index = 0;
  while (index < len) {
    let end = s.indexOf(PROPERTY_SEPARATOR, index);
    if (end < 0) end = len;
    if (end - index >= 3) {
      const sep = s.indexOf(NAME_VALUE_SEPARATOR, index);
      if (sep > index && sep < end - 1) {
        map.set(s.substring(index, sep), s.substring(sep + 1, end));
      }
    }
    index = end + 1;
  }
  return map;
}

/**
 * Finds one property without building a Map (the dispatcher only needs TAGS). Same
 * segment rules as decodeProperties; the last occurrence wins, as with the Map.
 */
export function findProperty(s: string, key: string): string | undefined {
  const len = s.length;
  const keyLen = key.length;
  let found: string | undefined;
  let index = 0;
  while (index < len) {
    let end = s.indexOf(PROPERTY_SEPARATOR, index);
    if (end < 0) end = len;
    if (
      end - index >= 3 &&
      keyLen > 0 &&
      s.charCodeAt(index + keyLen) === 1 &&
      index + keyLen < end - 1 &&
      s.startsWith(key, index) &&
      s.indexOf(NAME_VALUE_SEPARATOR, index) === index + keyLen
    ) {
      found = s.substring(index + keyLen + 1, end);
    }
    index = end + 1;
  }
  return found;
}

/**
 * Appends one encoded properties string to another, adding the \x02 separator when the
 * first lacks its trailing one (how batch-level properties join each inner message's).
 */
export function joinProperties(first: string, second: string): string {
  if (first.length === 0) return second;
  if (second.length === 0) return first;
  return first.endsWith(PROPERTY_SEPARATOR) ? first + second : first + PROPERTY_SEPARATOR + second;
}
