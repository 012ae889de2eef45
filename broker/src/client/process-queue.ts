import type { MessageQueue } from './message-queue.ts';
import { queueKey } from './message-queue.ts';
import type { ReceivedMessage } from './received-message.ts';

/** How long a lock confirmed by the broker is trusted without renewal (Java's REBALANCE_LOCK_MAX_LIVE_TIME). */
export const LOCK_TRUSTED_MS = 30_000;

/**
 * A queue this consumer owns: where to pull next, the messages pulled but not yet acknowledged, and
 * from those the offset to commit (RocketMQ's ProcessQueue). The committed offset is the smallest
 * unacknowledged offset, or, with nothing outstanding, the offset after everything pulled.
 */
export class ProcessQueue {
  readonly mq: MessageQueue;
  readonly key: string;
  /** Set when the queue is given away (rebalance) or the consumer stops: no more pulls or deliveries. */
  dropped = false;
  /** Where the next pull starts. */
  nextOffset: number;
  /** Broker id the last pull answer suggested reading from (0 = master). */
  suggestedBrokerId = 0;
  /** Set while a listener loop runs for this queue (listener mode). */
  consuming = false;
  /** Resolves when the current listener loop ends. */
  consumeLoop: Promise<void> = Promise.resolve();
  /** Orderly CLUSTERING: when the broker last confirmed our lock on this queue (0 = not locked). */
  lockedAt = 0;
  /** Offset -> message, in ascending offset order (pulls of one queue arrive in order). */
  private readonly unacked = new Map<number, ReceivedMessage>();
  /** Messages not yet handed out, oldest first. */
  private ready: ReceivedMessage[] = [];
  private readyHead = 0;
  /** Everything below this was acknowledged or skipped, as far as pulls have gone. */
  private pulledUpTo: number;
  /** Local delivery attempts of messages that failed (broadcasting, or when send-back failed). */
  readonly attempts = new Map<number, number>();

  constructor(mq: MessageQueue, offset: number) {
    this.mq = mq;
    this.key = queueKey(mq);
    this.nextOffset = offset;
    this.pulledUpTo = offset;
  }

  /** Records the result of a pull: the messages to deliver and the offset after the scanned range. */
  accept(msgs: readonly ReceivedMessage[], nextBeginOffset: number): void {
    for (const m of msgs) {
      if (this.unacked.has(m.queueOffset)) continue;
      this.unacked.set(m.queueOffset, m);
      this.ready.push(m);
    }
    this.moveTo(nextBeginOffset);
  }

  /** The broker says the next pull starts at `offset` (nothing found, offset moved...). */
  moveTo(offset: number): void {
    this.nextOffset = offset;
    this.pulledUpTo = offset;
  }

  /** Up to `max` undelivered messages, oldest first. */
  take(max: number): ReceivedMessage[] {
    const end = Math.min(this.ready.length, this.readyHead + max);
    const out = this.ready.slice(this.readyHead, end);
    this.readyHead = end;
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return out;
  }

  /** Puts messages back at the front, to be delivered again before anything newer. */
  putBack(msgs: readonly ReceivedMessage[]): void {
    const live = msgs.filter((m) => this.unacked.has(m.queueOffset));
    this.ready = [...live, ...this.ready.slice(this.readyHead)];
    this.readyHead = 0;
  }

  get readyCount(): number {
    return this.ready.length - this.readyHead;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  ack(offset: number): void {
    this.unacked.delete(offset);
    this.attempts.delete(offset);
  }

  /** The offset to commit: nothing below it is still waiting for an acknowledgement. */
  get commitOffset(): number {
    for (const offset of this.unacked.keys()) return offset;
    return this.pulledUpTo;
  }

  /**
   * Whether our broker lock still holds, judged locally: renewed every 20 s, trusted for 30 s (less than
   * the broker's 60 s expiry, so two members never both believe they own the queue).
   */
  isLocked(now = Date.now()): boolean {
    return this.lockedAt > 0 && now - this.lockedAt < LOCK_TRUSTED_MS;
  }

  /** Forgets undelivered messages (the queue is being dropped). */
  clearReady(): void {
    this.ready = [];
    this.readyHead = 0;
  }
}
