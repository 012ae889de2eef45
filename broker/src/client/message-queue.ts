import { parseFastJson } from '../protocol/index.ts';

/** One queue of a topic on one broker group; what producers send to and consumers own. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** A stable string key for maps: `topic@brokerName@queueId`. */
export function queueKey(mq: MessageQueue): string {
  return `${mq.topic}@${mq.brokerName}@${mq.queueId}`;
}

/** Java's MessageQueue.compareTo: by topic, then broker name, then queue id. */
export function compareQueues(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

export function sameQueue(a: MessageQueue, b: MessageQueue): boolean {
  return a.queueId === b.queueId && a.brokerName === b.brokerName && a.topic === b.topic;
}

/** A queue and a position in it. */
export interface QueueOffset {
  mq: MessageQueue;
  offset: number;
}

/** The body of RESET_CONSUMER_CLIENT_OFFSET: fastjson's `{"offsetTable":{{mq}:offset}}`. */
export function decodeResetOffsetBody(body: Buffer | undefined): QueueOffset[] {
  if (!body || body.length === 0) return [];
  const parsed = parseFastJson<{ offsetTable?: Record<string, number> }>(body);
  const out: QueueOffset[] = [];
  for (const [key, offset] of Object.entries(parsed.offsetTable ?? {})) {
    const mq = parseFastJson<MessageQueue>(key);
    if (typeof mq?.topic === 'string' && typeof mq.brokerName === 'string' && Number.isInteger(mq.queueId) && Number.isFinite(Number(offset))) {
      out.push({ mq: { topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId }, offset: Number(offset) });
    }
  }
  return out;
}
