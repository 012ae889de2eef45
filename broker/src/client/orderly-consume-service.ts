import { sendMessageBack, Slots } from './consume-service.ts';
import type { ProcessQueue } from './process-queue.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import type { MessageListener } from './push-consumer-options.ts';
import type { ReceivedMessage } from './received-message.ts';

/** Broker delay level that sends a message straight to the dead-letter queue. */
const DEAD_LETTER_DELAY_LEVEL = -1;

/** Poll period while a queue waits for its lock to be (re)confirmed. */
const LOCK_WAIT_MS = 100;

/**
 * Hands each queue's messages to the listener strictly in order (RocketMQ's ConsumeMessageOrderlyService): in
 * CLUSTERING only while this member holds the queue's broker lock; a failed batch suspends the queue for
 * suspendCurrentQueueMs and is delivered again, never sent to the retry topic. With orderlyDeadLetterAfter
 * set, a message that failed that many times goes to the dead-letter queue instead.
 */
export class OrderlyConsumeService {
  private readonly ctx: PushConsumerContext;
  private readonly listener: MessageListener;
  private readonly slots: Slots;

  constructor(ctx: PushConsumerContext, listener: MessageListener) {
    this.ctx = ctx;
    this.listener = listener;
    this.slots = new Slots(ctx.options.maxConcurrency);
  }

  dispatch(pq: ProcessQueue): void {
    if (pq.consuming) return;
    pq.consuming = true;
    pq.consumeLoop = this.consumeLoop(pq);
  }

  private async consumeLoop(pq: ProcessQueue): Promise<void> {
    const o = this.ctx.options;
    const needsLock = o.messageModel === 'CLUSTERING';
    try {
      while (!pq.dropped && this.ctx.isRunning()) {
        if (needsLock && !pq.isLocked()) {
          await this.ctx.sleep(LOCK_WAIT_MS);
          continue;
        }
        const batch = pq.take(o.consumeBatchSize);
        if (batch.length === 0) return;
        await this.slots.acquire();
        let failure: unknown;
        try {
          await this.listener(batch);
        } catch (err) {
          failure = err ?? new Error('listener failed');
        } finally {
          this.slots.release();
        }
        if (failure === undefined) {
          for (const m of batch) pq.ack(m.queueOffset);
        } else {
          await this.suspend(pq, batch, failure);
        }
      }
    } finally {
      pq.consuming = false;
    }
  }

  /** SUSPEND_CURRENT_QUEUE_A_MOMENT: the batch goes back to the front of its queue after a pause. */
  private async suspend(pq: ProcessQueue, batch: ReceivedMessage[], failure: unknown): Promise<void> {
    const { instance, options: o } = this.ctx;
    const why = failure instanceof Error ? failure.message : String(failure);
    instance.log.warn(`orderly listener of ${this.ctx.group} failed on ${batch.length} message(s) of ${pq.key}: ${why}; suspending the queue`);
    const again: ReceivedMessage[] = [];
    for (const msg of batch) {
      const failures = (pq.attempts.get(msg.queueOffset) ?? 0) + 1;
      if (o.orderlyDeadLetterAfter > 0 && failures >= o.orderlyDeadLetterAfter
        && (await sendMessageBack(this.ctx, msg, DEAD_LETTER_DELAY_LEVEL))) {
        instance.log.warn(`${msg.msgId} of ${pq.key} failed ${failures} times; moved to the dead-letter queue of ${this.ctx.group}`);
        pq.ack(msg.queueOffset);
        continue;
      }
      pq.attempts.set(msg.queueOffset, failures);
      msg.reconsumeTimes++;
      again.push(msg);
    }
    if (again.length === 0) return;
    await this.ctx.sleep(o.suspendCurrentQueueMs);
    pq.putBack(again);
  }
}
