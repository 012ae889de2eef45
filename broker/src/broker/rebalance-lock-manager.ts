import type { MessageQueueData } from '../protocol/index.ts';

interface LockEntry {
  clientId: string;
  lastUpdate: number;
}

/**
 * Queue locks of orderly consumers (LOCK_BATCH_MQ): one client per group and queue at a time, renewed by the
 * client every 20 s and expiring after lockMaxLiveTime (RocketMQ: 60 s) so a dead client's queues free up.
 */
export class RebalanceLockManager {
  private readonly locks = new Map<string, Map<string, LockEntry>>();
  private readonly maxLiveMs: number;

  constructor(maxLiveMs = 60_000) {
    this.maxLiveMs = maxLiveMs;
  }

  private static key(mq: MessageQueueData): string {
    return `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;
  }

  /** Locks what it can for the client; returns the queues now held by it. */
  tryLockBatch(group: string, mqs: MessageQueueData[], clientId: string, now = Date.now()): MessageQueueData[] {
    let table = this.locks.get(group);
    if (!table) this.locks.set(group, (table = new Map()));
    const locked: MessageQueueData[] = [];
    for (const mq of mqs) {
      const key = RebalanceLockManager.key(mq);
      const entry = table.get(key);
      if (!entry || entry.clientId === clientId || entry.lastUpdate + this.maxLiveMs < now) {
        table.set(key, { clientId, lastUpdate: now });
        locked.push(mq);
      }
    }
    return locked;
  }

  unlockBatch(group: string, mqs: MessageQueueData[], clientId: string): void {
    const table = this.locks.get(group);
    if (!table) return;
    for (const mq of mqs) {
      const key = RebalanceLockManager.key(mq);
      if (table.get(key)?.clientId === clientId) table.delete(key);
    }
  }

  /** Does any client of the group hold an unexpired lock? (retries of an orderly group go to the DLQ in 5.x) */
  isLocked(group: string, mq: MessageQueueData, clientId?: string, now = Date.now()): boolean {
    const entry = this.locks.get(group)?.get(RebalanceLockManager.key(mq));
    return !!entry && entry.lastUpdate + this.maxLiveMs >= now && (clientId === undefined || entry.clientId === clientId);
  }
}
