import type { ProcessQueue } from './process-queue.ts';
import type { ReceivedMessage } from './received-message.ts';

/**
 * PushConsumer.messages(): the owned queues' messages as one async sequence, taking the queues in turn,
 * with acknowledgement by the caller instead of a listener's return.
 */
export class MessageIterator {
  private readonly queues: ReadonlyMap<string, ProcessQueue>;
  private readonly ended: () => boolean;
  /** Which queue a delivered message came from (its topic may have been reset from the retry topic). */
  private readonly origin = new WeakMap<ReceivedMessage, ProcessQueue>();
  private arrivals: (() => void)[] = [];
  private nextQueueIndex = 0;

  /** `ended` says when the sequence is over (the consumer is stopping). */
  constructor(queues: ReadonlyMap<string, ProcessQueue>, ended: () => boolean) {
    this.queues = queues;
    this.ended = ended;
  }

  async *iterate(ack: 'auto' | 'manual'): AsyncGenerator<ReceivedMessage> {
    for (;;) {
      const msg = await this.nextMessage();
      if (!msg) return;
      yield msg;
      if (ack === 'auto') this.ack(msg);
    }
  }

  /** Acknowledging twice, or after the queue moved to another member, is harmless. */
  ack(msg: ReceivedMessage): void {
    const pq = this.origin.get(msg);
    if (pq && !pq.dropped) pq.ack(msg.queueOffset);
  }

  /** Wakes iterators waiting for a message: one arrived, or the consumer stops. */
  wake(): void {
    const waiting = this.arrivals;
    this.arrivals = [];
    for (const wake of waiting) wake();
  }

  /** Next undelivered message, taking queues in turn; undefined once the consumer stops. */
  private async nextMessage(): Promise<ReceivedMessage | undefined> {
    for (;;) {
      if (this.ended()) return undefined;
      const queues = [...this.queues.values()];
      for (let i = 0; i < queues.length; i++) {
        const pq = queues[(this.nextQueueIndex + i) % queues.length]!;
        if (pq.dropped || pq.readyCount === 0) continue;
        this.nextQueueIndex = (this.nextQueueIndex + i + 1) % queues.length;
        const [msg] = pq.take(1);
        this.origin.set(msg!, pq);
        return msg;
      }
      await new Promise<void>((resolve) => this.arrivals.push(resolve));
    }
  }
}
