import type { MessageQueue } from './message-queue.ts';
import { queueKey } from './message-queue.ts';
import type { ProcessQueue } from './process-queue.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';

/** How often an orderly consumer renews its queue locks (Java's REBALANCE_LOCK_INTERVAL). */
export const LOCK_RENEW_INTERVAL_MS = 20_000;

/**
 * Broker-side queue locks of an orderly CLUSTERING consumer (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): a queue is
 * read only by the member holding its lock, so a queue handed over in a rebalance is never consumed by the
 * old and the new owner at once.
 */
export class QueueLockService {
  private readonly ctx: PushConsumerContext;

  constructor(ctx: PushConsumerContext) {
    this.ctx = ctx;
  }

  /** Locks one queue on its master; false when another member holds it or the broker cannot be reached. */
  async lock(mq: MessageQueue): Promise<boolean> {
    const { instance, group } = this.ctx;
    const broker = instance.brokerAddress(mq.brokerName);
    if (!broker) return false;
    try {
      const locked = await instance.api.lockBatchMQ(broker, group, instance.clientId, [mq], instance.requestTimeoutMs);
      return locked.some((l) => queueKey(l) === queueKey(mq));
    } catch (err) {
      instance.log.warn(`locking ${queueKey(mq)} for ${group}: ${(err as Error).message}`);
      return false;
    }
  }

  /** Renews the locks of all owned queues, one request per broker; queues the broker refused stop consuming. */
  async renew(queues: Iterable<ProcessQueue>): Promise<void> {
    const { instance, group } = this.ctx;
    const byBroker = new Map<string, ProcessQueue[]>();
    for (const pq of queues) {
      if (pq.dropped) continue;
      const list = byBroker.get(pq.mq.brokerName) ?? [];
      list.push(pq);
      byBroker.set(pq.mq.brokerName, list);
    }
    await Promise.all([...byBroker].map(async ([brokerName, pqs]) => {
      const broker = instance.brokerAddress(brokerName);
      if (!broker) return;
      const now = Date.now();
      try {
        const locked = new Set((await instance.api.lockBatchMQ(broker, group, instance.clientId, pqs.map((pq) => pq.mq), instance.requestTimeoutMs)).map(queueKey));
        for (const pq of pqs) {
          if (locked.has(pq.key)) pq.lockedAt = now;
          else if (pq.lockedAt > 0) {
            instance.log.warn(`${group} lost the lock of ${pq.key}; consumption of it pauses`);
            pq.lockedAt = 0;
          }
        }
      } catch (err) {
        // Locks stay trusted until they age out (30 s): one failed renewal does not stop consumption.
        instance.log.warn(`renewing queue locks of ${group} at ${broker}: ${(err as Error).message}`);
      }
    }));
  }

  /** Frees queues for the next owner; failures only delay the hand-over until the broker's lock expires. */
  async unlock(mqs: readonly MessageQueue[]): Promise<void> {
    const { instance, group } = this.ctx;
    const byBroker = new Map<string, MessageQueue[]>();
    for (const mq of mqs) byBroker.set(mq.brokerName, [...(byBroker.get(mq.brokerName) ?? []), mq]);
    await Promise.all([...byBroker].map(async ([brokerName, list]) => {
      const broker = instance.brokerAddress(brokerName);
      if (!broker) return;
      try {
        await instance.api.unlockBatchMQ(broker, group, instance.clientId, list, instance.requestTimeoutMs);
      } catch (err) {
        instance.log.warn(`unlocking ${list.length} queue(s) of ${group} at ${broker}: ${(err as Error).message}`);
      }
    }));
  }
}
