import type { HeaderInput } from '../remoting/index.ts';
import { numberOr, optionalBool, optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** SEND_MESSAGE's header by its long names; SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE carry the same fields as single letters. */
export interface SendMessageHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  maxReconsumeTimes?: number | undefined;
  /** The broker decides batch from this flag, not from the request code. */
  batch: boolean;
  brokerName?: string | undefined;
}

/** The V2 letters, a..n, in RocketMQ's order. */
const V2_LETTERS: Record<string, keyof SendMessageHeader> = {
  a: 'producerGroup', b: 'topic', c: 'defaultTopic', d: 'defaultTopicQueueNums', e: 'queueId', f: 'sysFlag',
  g: 'bornTimestamp', h: 'flag', i: 'properties', j: 'reconsumeTimes', k: 'unitMode', l: 'maxReconsumeTimes', m: 'batch',
  n: 'brokerName',
};

/** extFields of a SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request. */
export function encodeSendHeaderV2(h: SendMessageHeader): HeaderInput {
  const out: HeaderInput = {};
  for (const [letter, name] of Object.entries(V2_LETTERS)) out[letter] = h[name];
  return out;
}

/** Reads either form (long names for SEND_MESSAGE, letters for V2 and batch); a missing required field is refused. */
export function decodeSendHeader(v2: boolean, raw: ExtFields): SendMessageHeader {
  let ext = raw;
  if (v2) {
    ext = {};
    for (const [k, v] of Object.entries(raw ?? {})) ext[V2_LETTERS[k] ?? k] = v;
  }
  return {
    producerGroup: requiredString(ext, 'producerGroup'),
    topic: requiredString(ext, 'topic'),
    defaultTopic: optionalString(ext, 'defaultTopic') ?? 'TBW102',
    defaultTopicQueueNums: optionalInt(ext, 'defaultTopicQueueNums') ?? 4,
    queueId: requiredInt(ext, 'queueId'),
    sysFlag: optionalInt(ext, 'sysFlag') ?? 0,
    bornTimestamp: optionalInt(ext, 'bornTimestamp') ?? Date.now(),
    flag: optionalInt(ext, 'flag') ?? 0,
    properties: ext?.properties ?? '',
    reconsumeTimes: optionalInt(ext, 'reconsumeTimes') ?? 0,
    unitMode: optionalBool(ext, 'unitMode') ?? false,
    maxReconsumeTimes: optionalInt(ext, 'maxReconsumeTimes'),
    batch: optionalBool(ext, 'batch') ?? false,
    brokerName: optionalString(ext, 'brokerName'),
  };
}

/** The answer to SEND_MESSAGE(_V2) / SEND_BATCH_MESSAGE: where the message (or batch) was stored. */
export interface SendMessageResponseHeader {
  /** The offset message id; a batch's ids comma-joined. */
  msgId: string;
  queueId: number;
  queueOffset: number;
  /** The message's UNIQ_KEY. */
  transactionId?: string | undefined;
  /** `MSG_REGION` on the wire. */
  regionId?: string | undefined;
  /** For a timer message: what RECALL_MESSAGE takes to cancel it (RocketMQ 5.3+). */
  recallHandle?: string | undefined;
}

/** TRACE_ON is always true: the Java client reads MSG_REGION and TRACE_ON from every send answer and fails without them. */
export function encodeSendMessageResponseHeader(h: SendMessageResponseHeader): HeaderInput {
  return {
    msgId: h.msgId, queueId: h.queueId, queueOffset: h.queueOffset, transactionId: h.transactionId,
    MSG_REGION: h.regionId ?? 'DefaultRegion', TRACE_ON: 'true', recallHandle: h.recallHandle,
  };
}

/** Lenient, as a client reads it: a missing queue id is the one sent to, a missing offset 0. */
export function decodeSendMessageResponseHeader(ext: ExtFields, sentQueueId: number): SendMessageResponseHeader {
  return {
    msgId: ext?.msgId ?? '',
    queueId: numberOr(ext, 'queueId', sentQueueId),
    queueOffset: numberOr(ext, 'queueOffset', 0),
    transactionId: ext?.transactionId,
    regionId: ext?.MSG_REGION,
    recallHandle: ext?.recallHandle,
  };
}
