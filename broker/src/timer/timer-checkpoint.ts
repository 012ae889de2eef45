import type { Logger } from '../logging/logger.ts';
import { JsonConfigFile } from '../store/json-config-file.ts';

/**
 * The timer's durable progress, as RocketMQ's timer checkpoint: how far the timer topic's ConsumeQueue is indexed,
 * the timer log end that matches it, and the slot up to which every timer was delivered (and its re-put flushed).
 * Saved atomically after the timer log is flushed, so on restart the log is trusted up to `timerLogEnd` and the
 * queue is read again from `timerQueueOffset`: no timer is lost, and one delivered after the save may come twice.
 */
export interface TimerCheckpointState {
  timerQueueOffset: number;
  timerLogEnd: number;
  /** Every timer in a slot at or before this one was delivered (or recalled). */
  deliveredSlot: number;
  /** The slot precision the slots were counted in; a changed timerPrecisionMs re-indexes from the queue. */
  precisionMs: number;
}

export class TimerCheckpoint {
  private readonly file: JsonConfigFile<TimerCheckpointState>;

  constructor(path: string, log: Logger) {
    this.file = new JsonConfigFile<TimerCheckpointState>(path, log);
  }

  load(): TimerCheckpointState | undefined {
    const v = this.file.load();
    if (!v) return undefined;
    const whole = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
    const ok = whole(v.timerQueueOffset) && whole(v.timerLogEnd) && whole(v.deliveredSlot) && whole(v.precisionMs) && v.precisionMs > 0;
    return ok ? v : undefined;
  }

  save(state: TimerCheckpointState): void {
    this.file.save(state);
  }
}
