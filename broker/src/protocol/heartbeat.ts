/** HeartbeatData (HEART_BEAT body) and the consumer-side shapes it carries. */

export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: 'TAG' | 'SQL92' | string;
  classFilterMode?: boolean;
}

export type ConsumeFromWhere =
  | 'CONSUME_FROM_LAST_OFFSET'
  | 'CONSUME_FROM_FIRST_OFFSET'
  | 'CONSUME_FROM_TIMESTAMP'
  | 'CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST'
  | 'CONSUME_FROM_MIN_OFFSET'
  | 'CONSUME_FROM_MAX_OFFSET';

export interface ConsumerData {
  groupName: string;
  consumeType: 'CONSUME_ACTIVELY' | 'CONSUME_PASSIVELY' | 'CONSUME_POP' | string;
  messageModel: 'CLUSTERING' | 'BROADCASTING' | string;
  consumeFromWhere: ConsumeFromWhere | string;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

export interface ProducerData {
  groupName: string;
}

export interface HeartbeatData {
  clientID: string;
  producerDataSet: ProducerData[];
  consumerDataSet: ConsumerData[];
  heartbeatFingerprint?: number;
  withoutSub?: boolean;
}

/** Accepts Java (numbers) and Go (numeric strings in codeSet, missing fields) heartbeats alike. */
export function normalizeHeartbeat(raw: unknown): HeartbeatData {
  const h = (raw ?? {}) as Record<string, unknown>;
  if (typeof h.clientID !== 'string' || h.clientID === '') throw new Error('heartbeat has no clientID');
  const arr = (v: unknown) => (Array.isArray(v) ? v : []);
  return {
    clientID: h.clientID,
    producerDataSet: arr(h.producerDataSet).map((p: any) => ({ groupName: String(p?.groupName ?? '') })),
    consumerDataSet: arr(h.consumerDataSet).map((c: any) => ({
      groupName: String(c?.groupName ?? ''),
      consumeType: String(c?.consumeType ?? 'CONSUME_PASSIVELY'),
      messageModel: String(c?.messageModel ?? 'CLUSTERING'),
      consumeFromWhere: String(c?.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET'),
      unitMode: Boolean(c?.unitMode),
      subscriptionDataSet: arr(c?.subscriptionDataSet).map((s: any) => ({
        topic: String(s?.topic ?? ''),
        subString: String(s?.subString ?? '*'),
        tagsSet: arr(s?.tagsSet).map(String),
        codeSet: arr(s?.codeSet).map((x: unknown) => Number(x) | 0),
        subVersion: Number(s?.subVersion ?? 0),
        expressionType: String(s?.expressionType ?? 'TAG'),
        classFilterMode: Boolean(s?.classFilterMode),
      })),
    })),
    heartbeatFingerprint: typeof h.heartbeatFingerprint === 'number' ? h.heartbeatFingerprint : undefined,
    withoutSub: Boolean(h.withoutSub),
  };
}

/** MessageQueue as JSON bodies carry it. */
export interface MessageQueueData {
  topic: string;
  brokerName: string;
  queueId: number;
}
