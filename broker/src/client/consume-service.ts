import type { ProcessQueue } from './process-queue.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import type { MessageListener } from './push-consumer-options.ts';
import type { ReceivedMessage } from './received-message.ts';

/** Counting semaphore for listener calls. */
export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Hands pulled messages to the listener (RocketMQ's ConsumeMessageConcurrentlyService): each queue in order,
 * one batch at a time, at most maxConcurrency calls over all queues; failed messages go back to the broker's
 * retry topic (CLUSTERING) or are redelivered locally.
 */
export class ConsumeService {
  private readonly ctx: PushConsumerContext;
  private readonly listener: MessageListener;
  private readonly slots: Slots;

  constructor(ctx: PushConsumerContext, listener: MessageListener) {
    this.ctx = ctx;
    this.listener = listener;
    this.slots = new Slots(ctx.options.maxConcurrency);
  }

  /** Starts feeding the queue to the listener unless that is already under way. */
  dispatch(pq: ProcessQueue): void {
    if (pq.consuming) return;
    pq.consuming = true;
    pq.consumeLoop = this.consumeLoop(pq);
  }

  /** Feeds one queue's messages to the listener, one batch at a time, in order. */
  private async consumeLoop(pq: ProcessQueue): Promise<void> {
    try {
      while (!pq.dropped && this.ctx.isRunning()) {
        const batch = pq.take(this.ctx.options.consumeBatchSize);
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
          await this.handleFailure(pq, batch, failure);
        }
      }
    } finally {
      // Cleared synchronously as the loop ends, so a dispatch right after starts a new loop.
      pq.consuming = false;
    }
  }

  /**
   * Failed batch. CLUSTERING: hand each message to the broker's retry topic (CONSUMER_SEND_MSG_BACK)
   * and count it done; what the broker refuses is redelivered locally after reconsumeDelayMs.
   * BROADCASTING: local redelivery, up to maxReconsumeTimes, then the message is skipped.
   */
  private async handleFailure(pq: ProcessQueue, batch: ReceivedMessage[], failure: unknown): Promise<void> {
    const { instance, options: o } = this.ctx;
    const why = failure instanceof Error ? failure.message : String(failure);
    instance.log.warn(`listener of ${this.ctx.group} failed on ${batch.length} message(s) of ${pq.key}: ${why}`);
    const again: ReceivedMessage[] = [];
    for (const msg of batch) {
      if (o.messageModel === 'CLUSTERING' && (await sendMessageBack(this.ctx, msg, o.sendBackDelayLevel))) {
        pq.ack(msg.queueOffset);
        continue;
      }
      const attempts = (pq.attempts.get(msg.queueOffset) ?? 0) + 1;
      if (o.messageModel === 'BROADCASTING' && attempts > o.maxReconsumeTimes) {
        instance.log.warn(`giving up on ${msg.msgId} of ${pq.key} after ${attempts} attempts`);
        pq.ack(msg.queueOffset);
        continue;
      }
      pq.attempts.set(msg.queueOffset, attempts);
      msg.reconsumeTimes++;
      again.push(msg);
    }
    if (again.length === 0) return;
    await this.ctx.sleep(o.reconsumeDelayMs);
    pq.putBack(again);
  }
}

/**
 * CONSUMER_SEND_MSG_BACK: the broker stores the message again in the group's retry topic (delayLevel 0: its
 * choice of delay) or, with delayLevel -1, in the dead-letter queue. False when that failed.
 */
export async function sendMessageBack(ctx: PushConsumerContext, msg: ReceivedMessage, delayLevel: number): Promise<boolean> {
  const { instance, options: o } = ctx;
  const broker = instance.brokerAddress(msg.brokerName);
  if (!broker) return false;
  try {
    await instance.api.consumerSendMessageBack(broker, {
      offset: msg.commitLogOffset,
      group: ctx.group,
      delayLevel,
      originMsgId: msg.msgId,
      originTopic: msg.topic,
      maxReconsumeTimes: o.maxReconsumeTimes,
      brokerName: msg.brokerName,
    });
    return true;
  } catch (err) {
    instance.log.warn(`send back of ${msg.msgId} failed, retrying locally: ${(err as Error).message}`);
    return false;
  }
}
