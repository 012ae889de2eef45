import { RETRY_GROUP_TOPIC_PREFIX } from '../protocol/index.ts';
import type { AllocateStrategy } from './allocate.ts';
import { queueKey, type MessageQueue, type QueueOffset } from './message-queue.ts';
import { ProcessQueue } from './process-queue.ts';
import type { QueueLockService } from './queue-lock-service.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import { allBrokerAddresses, subscribeQueues } from './topic-route.ts';

/**
 * Which queues this member reads (RocketMQ's RebalanceImpl): allocates each topic's queues among the group's
 * members, opens newly assigned queues at their start offset and gives up the others, committing their offsets.
 */
export class RebalanceService {
  /** The queues this member owns, by queueKey. */
  readonly queues = new Map<string, ProcessQueue>();
  private readonly ctx: PushConsumerContext;
  private readonly allocate: AllocateStrategy;
  private readonly startPulling: (pq: ProcessQueue) => void;
  /** Orderly CLUSTERING: a queue is opened only once its broker lock is ours, and unlocked when given up. */
  private readonly locks: QueueLockService | undefined;
  private rebalancing: Promise<void> | undefined;
  private rebalanceAgain = false;
  private routeRetryMs = 500;
  /** Queues chosen by the application (LitePullConsumer.assign): no allocation among members. */
  private assigned: MessageQueue[] | undefined;

  constructor(ctx: PushConsumerContext, allocate: AllocateStrategy, startPulling: (pq: ProcessQueue) => void, locks?: QueueLockService) {
    this.ctx = ctx;
    this.allocate = allocate;
    this.startPulling = startPulling;
    this.locks = locks;
  }

  /** Runs a rebalance now, or once more after the one in progress. */
  requestRebalance(): Promise<void> {
    if (!this.ctx.isRunning()) return Promise.resolve();
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        await this.rebalanceAll();
      } while (this.rebalanceAgain && this.ctx.isRunning());
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  /** Reads exactly these queues from now on instead of a share of the group's (then rebalances to apply it). */
  assign(mqs: readonly MessageQueue[]): Promise<void> {
    this.assigned = mqs.map((mq) => ({ topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId }));
    return this.requestRebalance();
  }

  /** Resolves once the rebalance in progress (if any) is over, whether it succeeded or not. */
  async settled(): Promise<void> {
    await this.rebalancing?.catch(() => {});
  }

  private async rebalanceAll(): Promise<void> {
    const { instance, group } = this.ctx;
    const topics = this.ctx.topics();
    let unrouted = false;
    for (const topic of topics) {
      if (!this.ctx.isRunning()) return;
      try {
        if (!(await this.rebalanceTopic(topic))) unrouted = true;
      } catch (err) {
        instance.log.warn(`rebalance of ${topic} in ${group}: ${(err as Error).message}`);
      }
    }
    // A subscribed topic without a route yet (just created, or not yet): look again soon, backing off
    // towards the normal rebalance period.
    if (unrouted) {
      this.routeRetryMs = Math.min(this.ctx.options.rebalanceIntervalMs, this.routeRetryMs * 2);
      setTimeout(() => void this.requestRebalance(), this.routeRetryMs).unref();
    } else {
      this.routeRetryMs = 500;
    }
    for (const pq of this.queues.values()) {
      if (!topics.includes(pq.mq.topic)) await this.dropQueue(pq);
    }
  }

  /** Rebalances one topic; false when the topic has no route (yet). */
  private async rebalanceTopic(topic: string): Promise<boolean> {
    const { instance, group } = this.ctx;
    const route = instance.cachedRoute(topic) ?? (await instance.refreshRoute(topic));
    if (!route) return false;
    const all = subscribeQueues(topic, route);
    let mine: MessageQueue[];
    if (this.assigned) {
      mine = this.assigned.filter((mq) => mq.topic === topic);
    } else if (this.ctx.options.messageModel === 'BROADCASTING') {
      mine = all;
    } else {
      const brokers = allBrokerAddresses(route);
      if (brokers.length === 0) return false;
      const ids = (await instance.api.getConsumerIdList(brokers[0]!, group)).sort();
      if (!ids.includes(instance.clientId)) {
        // The broker has not (or no longer) seen our heartbeat, e.g. it restarted: announce ourselves and
        // keep the current share until the next round rather than dropping everything.
        await instance.heartbeatAll().catch(() => {});
        setTimeout(() => void this.requestRebalance(), 1_000).unref();
        return true;
      }
      mine = this.allocate(instance.clientId, all, ids);
    }
    const wanted = new Set(mine.map(queueKey));
    for (const pq of this.queues.values()) {
      if (pq.mq.topic === topic && !wanted.has(pq.key)) await this.dropQueue(pq);
    }
    for (const mq of mine) {
      if (this.queues.has(queueKey(mq))) continue;
      if (!this.ctx.isRunning()) return true;
      // The previous owner may still be finishing its last batch: try again shortly rather than read alongside it.
      if (this.locks && !(await this.locks.lock(mq))) {
        instance.log.debug(`${instance.clientId} could not lock ${queueKey(mq)} yet`);
        setTimeout(() => void this.requestRebalance(), 1_000).unref();
        continue;
      }
      const lockedAt = Date.now();
      let offset: number;
      try {
        offset = await this.startOffset(mq);
      } catch (err) {
        instance.log.warn(`no start offset for ${mq.topic}/${mq.brokerName}/${mq.queueId}: ${(err as Error).message}`);
        if (this.locks) await this.locks.unlock([mq]);
        continue;
      }
      if (!this.ctx.isRunning()) return true;
      const pq = new ProcessQueue(mq, offset);
      if (this.locks) pq.lockedAt = lockedAt;
      this.queues.set(pq.key, pq);
      instance.log.debug(`${instance.clientId} reads ${pq.key} from offset ${offset}`);
      this.startPulling(pq);
    }
    return true;
  }

  /** Gives a queue up: waits for its listener call, then commits its offset for the next owner. */
  private async dropQueue(pq: ProcessQueue): Promise<void> {
    const { instance, offsets } = this.ctx;
    pq.dropped = true;
    pq.clearReady();
    this.queues.delete(pq.key);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([pq.consumeLoop.then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 10_000); })]);
    clearTimeout(timer);
    offsets.update(pq.mq, pq.commitOffset);
    await offsets.persist([pq.mq], true);
    offsets.remove(pq.mq);
    // Only after the offset is committed may the next owner lock the queue and read from there.
    // A listener call still running keeps the lock until the broker expires it (60 s).
    if (this.locks && finished) await this.locks.unlock([pq.mq]);
    instance.log.debug(`${instance.clientId} gave up ${pq.key} at offset ${pq.commitOffset}`);
  }

  /**
   * An admin moved the group's offsets (resetOffsetByTime): the named queues are dropped without
   * committing their old offsets, the new ones are stored, and the rebalance that follows reopens the
   * queues from there (RocketMQ's MQClientInstance.resetOffset).
   */
  async resetOffsets(topic: string, offsets: QueueOffset[]): Promise<void> {
    if (!this.ctx.isRunning()) return;
    this.ctx.instance.log.info(`offsets of ${this.ctx.group} on ${topic} were reset for ${offsets.length} queue(s)`);
    const reset = new Set(offsets.map((o) => queueKey(o.mq)));
    const dropped: ProcessQueue[] = [];
    for (const pq of this.queues.values()) {
      if (pq.mq.topic !== topic || !reset.has(pq.key)) continue;
      pq.dropped = true;
      pq.clearReady();
      this.queues.delete(pq.key);
      dropped.push(pq);
    }
    await Promise.all(dropped.map((pq) => pq.consumeLoop));
    const store = this.ctx.offsets;
    for (const { mq, offset } of offsets) store.update(mq, offset);
    await store.persist(offsets.map((o) => o.mq), true);
    for (const { mq } of offsets) store.remove(mq);
    await this.requestRebalance();
  }

  /**
   * Moves an owned queue to `offset`: the queue is reopened there and what was pulled but not taken is
   * forgotten (an answer to a pull already in flight is dropped with the old queue). False if not owned.
   */
  seek(mq: MessageQueue, offset: number): boolean {
    const old = this.queues.get(queueKey(mq));
    if (!old || old.dropped) return false;
    old.dropped = true;
    old.clearReady();
    const pq = new ProcessQueue(old.mq, offset);
    pq.lockedAt = old.lockedAt;
    this.queues.set(pq.key, pq);
    this.ctx.offsets.update(pq.mq, offset);
    this.startPulling(pq);
    return true;
  }

  /** The committed offset, or where consumeFrom says a new group starts. */
  private async startOffset(mq: MessageQueue): Promise<number> {
    const { instance } = this.ctx;
    const stored = await this.ctx.offsets.read(mq);
    if (stored >= 0) return stored;
    const from = this.ctx.options.consumeFrom;
    if (from === 'first') return 0;
    const isRetry = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    const broker = instance.requireMember(mq.brokerName);
    if (from === 'last') return isRetry ? 0 : instance.api.getMaxOffset(broker, mq);
    return isRetry ? instance.api.getMaxOffset(broker, mq) : instance.api.searchOffset(broker, mq, from.timestamp);
  }
}
