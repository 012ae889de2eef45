import { MessageConst } from '../message/properties.ts';
import { RequestRefusedError, ResponseCode } from '../remoting/index.ts';

/**
 * The properties by which a client asks for delivery at a time of its choosing, each with how its value turns into
 * an epoch-ms deadline: RocketMQ 5's timer properties (Java `Message.setDeliverTimeMs / setDelayTimeSec /
 * setDelayTimeMs`) and the ONS-style absolute `__STARTDELIVERTIME`.
 */
const TIMER_REQUESTS: readonly { key: string; unit: string; deadline: (value: number, now: number) => number }[] = [
  { key: MessageConst.TIMER_DELIVER_MS, unit: 'epoch milliseconds', deadline: (v) => v },
  { key: MessageConst.TIMER_DELAY_SEC, unit: 'seconds', deadline: (v, now) => now + v * 1000 },
  { key: MessageConst.TIMER_DELAY_MS, unit: 'milliseconds', deadline: (v, now) => now + v },
  { key: MessageConst.STARTDELIVERTIME, unit: 'epoch milliseconds', deadline: (v) => v },
];

/** The timer properties RocketMQ drops when a message also carries a delay level (the level wins). */
export const TIMER_PROPERTIES_A_DELAY_LEVEL_OVERRIDES = [
  MessageConst.TIMER_DELIVER_MS, MessageConst.TIMER_DELAY_SEC, MessageConst.TIMER_DELAY_MS,
] as const;

/**
 * Refuses a message that asks to be delivered at a future time: Tern has no timer wheel yet, and storing the message
 * would deliver it at once. Codes are RocketMQ's: MESSAGE_ILLEGAL for a value that is not a whole number,
 * SYSTEM_ERROR (its answer when the timer wheel is off) for a future deadline. A deadline already past is delivered
 * at once, as RocketMQ does. `where` names the message inside a batch.
 */
export function refuseTimerDelivery(props: ReadonlyMap<string, string>, maxDelayLevel: number, now: number, where = ''): void {
  for (const { key, unit, deadline } of TIMER_REQUESTS) {
    const text = props.get(key);
    if (text === undefined) continue;
    // Long.parseLong's grammar: what a Java broker accepts, and nothing looser (no "1e3", no blanks).
    if (!/^[+-]?\d{1,19}$/.test(text)) {
      throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL,
        `${where}timer message property ${key} must be a whole number of ${unit}, got "${text}"`);
    }
    const due = deadline(Number(text), now);
    if (due > now) {
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR,
        `${where}${key}=${text} asks for delivery at ${describeTime(due)}, but timer (any-time delay) messages are not `
        + `supported by this Tern version yet; delay levels work: set the DELAY property to a level 1-${maxDelayLevel}`);
    }
  }
}

function describeTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms since the epoch`;
}
