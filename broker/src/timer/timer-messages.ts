import { encodeProperties, MessageConst } from '../message/properties.ts';
import type { HostAddress } from '../message/host-address.ts';
import type { MessageExt } from '../message/stored-message.ts';
import { SystemTopic } from '../protocol/topic-config.ts';
import type { MessageToStore } from '../store/message-store.ts';

/** RocketMQ 5's topic holding timer messages until due (queue 0). */
export const TIMER_TOPIC = SystemTopic.TIMER;
/**
 * Tern's delivery-progress marker in the timer topic: "every timer due at or before this many ms was delivered".
 * Written after the re-puts it covers, so a replica (or a promoted master) replaying the CommitLog never delivers
 * those again.
 */
export const TIMER_PROGRESS_PROPERTY = 'TERN_TIMER_DELIVERED_UP_TO_MS';

/** Properties a delivered message no longer carries: where it waited and when it was due. */
const TIMER_ONLY_PROPERTIES = [
  MessageConst.REAL_TOPIC, MessageConst.REAL_QID, MessageConst.TIMER_OUT_MS, MessageConst.TIMER_DELIVER_MS,
  MessageConst.TIMER_DELAY_SEC, MessageConst.TIMER_DELAY_MS, MessageConst.STARTDELIVERTIME, MessageConst.TIMER_ROLL_TIMES,
];

/** Key of a timer among the records of its slot: a recall names it so, and a rolled copy shares it. */
export function timerKey(realTopic: string, uniqKey: string): string {
  return `${realTopic}+${uniqKey}`;
}

/**
 * Consecutive deliveries to one queue go out as one putMessages (records back to back): a burst due in one slot is
 * stored at batch speed. A chunk's bodies stay within maxMessageSize, which bounds a batch's.
 */
export function chunkByQueue(deliveries: { index: number; msg: MessageToStore }[], maxBytes: number): { index: number; msg: MessageToStore }[][] {
  const chunks: { index: number; msg: MessageToStore }[][] = [];
  let bytes = 0;
  for (const d of deliveries) {
    const last = chunks.at(-1);
    const head = last?.[0]?.msg;
    if (last && head && head.topic === d.msg.topic && head.queueId === d.msg.queueId && last.length < 64 && bytes + d.msg.body.length <= maxBytes) {
      last.push(d);
      bytes += d.msg.body.length;
    } else {
      chunks.push([d]);
      bytes = d.msg.body.length;
    }
  }
  return chunks;
}

/** The message as it is delivered: its real topic and queue, its properties without the timer ones, its ids kept. */
export function deliveryOf(msg: MessageExt, realTopic: string): MessageToStore {
  const props = new Map(msg.properties);
  const queueId = Number(props.get(MessageConst.REAL_QID) ?? 0);
  for (const key of TIMER_ONLY_PROPERTIES) props.delete(key);
  return {
    topic: realTopic, queueId: Number.isInteger(queueId) && queueId >= 0 ? queueId : 0, flag: msg.flag, sysFlag: msg.sysFlag,
    bornTimestamp: msg.bornTimestamp, bornHost: msg.bornHost, storeHost: msg.storeHost, reconsumeTimes: msg.reconsumeTimes,
    preparedTransactionOffset: msg.preparedTransactionOffset, body: Buffer.from(msg.body), properties: encodeProperties(props),
  };
}

export function progressMarker(upToMs: number, host: HostAddress): MessageToStore {
  return {
    topic: TIMER_TOPIC, queueId: 0, flag: 0, sysFlag: 0, bornTimestamp: Date.now(), bornHost: host, storeHost: host,
    reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.alloc(0),
    properties: encodeProperties(new Map([[TIMER_PROGRESS_PROPERTY, String(upToMs)]])),
  };
}
