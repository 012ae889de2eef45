import { encodeProperties, MessageConst } from '../message/properties.ts';
import { RequestRefusedError, ResponseCode } from '../remoting/index.ts';
import type { MessageToStore } from '../store/message-store.ts';
import { TIMER_TOPIC } from '../timer/timer-messages.ts';

/**
 * The properties by which a client asks for delivery at a time of its choosing, in RocketMQ 5's order of precedence
 * (Java `Message.setDelayTimeSec / setDelayTimeMs / setDeliverTimeMs`), then the ONS-style absolute
 * `__STARTDELIVERTIME`, each with how its value turns into an epoch-ms deadline.
 */
const TIMER_REQUESTS: readonly { key: string; unit: string; deadline: (value: number, now: number) => number }[] = [
  { key: MessageConst.TIMER_DELAY_SEC, unit: 'seconds', deadline: (v, now) => now + v * 1000 },
  { key: MessageConst.TIMER_DELAY_MS, unit: 'milliseconds', deadline: (v, now) => now + v },
  { key: MessageConst.TIMER_DELIVER_MS, unit: 'epoch milliseconds', deadline: (v) => v },
  { key: MessageConst.STARTDELIVERTIME, unit: 'epoch milliseconds', deadline: (v) => v },
];

/** The timer properties RocketMQ drops when a message also carries a delay level (the level wins). */
export const TIMER_PROPERTIES_A_DELAY_LEVEL_OVERRIDES = [
  MessageConst.TIMER_DELIVER_MS, MessageConst.TIMER_DELAY_SEC, MessageConst.TIMER_DELAY_MS,
] as const;

export interface TimerSettings {
  timerWheelEnable: boolean;
  timerMaxDelaySec: number;
}

/**
 * The deadline a message asks for (epoch ms), or undefined when it carries no timer property. A value that is not a
 * whole number is refused with MESSAGE_ILLEGAL; every timer property present is checked, the first by precedence wins.
 * `where` names the message inside a batch.
 */
export function requestedDeadline(props: ReadonlyMap<string, string>, now: number, where = ''): number | undefined {
  let due: number | undefined;
  for (const { key, unit, deadline } of TIMER_REQUESTS) {
    const text = props.get(key);
    if (text === undefined) continue;
    // Long.parseLong's grammar: what a Java broker accepts, and nothing looser (no "1e3", no blanks).
    if (!/^[+-]?\d{1,19}$/.test(text)) {
      throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, `${where}timer message property ${key} must be a whole number of ${unit}, got "${text}"`);
    }
    due ??= deadline(Number(text), now);
  }
  return due;
}

/**
 * Turns a message asking for a future deadline into a timer message: stored in the timer topic (queue 0) with its
 * real topic and queue in REAL_TOPIC / REAL_QID and its deadline in TIMER_OUT_MS, as RocketMQ 5 does. A deadline
 * already passed leaves the message as it is (delivered at once, as RocketMQ does). Beyond timerMaxDelaySec, or with
 * the wheel off, it is refused with RocketMQ's codes and remarks. Returns whether the message became a timer.
 */
export function applyTimer(msg: MessageToStore, props: Map<string, string>, settings: TimerSettings, now: number): boolean {
  const due = requestedDeadline(props, now);
  if (due === undefined || due <= now) return false;
  if (!settings.timerWheelEnable) {
    throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `accurate timer message is not enabled, timerWheelEnable is false`);
  }
  if (due - now > settings.timerMaxDelaySec * 1000) {
    throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL,
      `timer message illegal, the delay time should not be bigger than the max delay ${settings.timerMaxDelaySec * 1000}ms; `
      + 'or if set del msg, the delay time should be bigger than the current time');
  }
  props.set(MessageConst.TIMER_OUT_MS, String(due));
  props.set(MessageConst.REAL_TOPIC, msg.topic);
  props.set(MessageConst.REAL_QID, String(msg.queueId));
  msg.topic = TIMER_TOPIC;
  msg.queueId = 0;
  msg.properties = encodeProperties(props);
  return true;
}

/** A batch is stored in one queue, so its messages cannot wait in the timer topic: one asking for a future time is refused. */
export function refuseTimerInBatch(props: ReadonlyMap<string, string>, now: number, where: string): void {
  const due = requestedDeadline(props, now, where);
  if (due !== undefined && due > now) {
    throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL,
      `${where}asks for delivery at ${new Date(due).toISOString()}, which a batch cannot apply: send timer messages one by one`);
  }
}
