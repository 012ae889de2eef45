import os from 'node:os';
import path from 'node:path';
import { buildPullSysFlag } from '../message/sys-flag.ts';
import { ResponseCode } from '../remoting/index.ts';
import { retryTopic, RETRY_GROUP_TOPIC_PREFIX, type ConsumerData, type SubscriptionData } from '../protocol/index.ts';
import { allocateAveragely, type AllocateStrategy } from './allocate.ts';
import { ClientError } from './client-error.ts';
import { ClientInstance, type ClientOptions } from './client-instance.ts';
import { queueKey, type MessageQueue, type QueueOffset } from './message-queue.ts';
import { LocalOffsetStore, RemoteOffsetStore, type OffsetStore } from './offset-store.ts';
import { ProcessQueue } from './process-queue.ts';
import { decodePulledMessages, type ReceivedMessage } from './received-message.ts';
import { buildSubscription, matchesSubscription, type ExpressionType } from './subscription.ts';
import { allBrokerAddresses, subscribeQueues } from './topic-route.ts';

/** Where a group with no committed offset for a queue starts reading it. */
export type ConsumeFrom = 'first' | 'last' | { timestamp: number };

/** CLUSTERING: the group shares the queues and the offsets. BROADCASTING: every member reads everything. */
export type MessageModel = 'CLUSTERING' | 'BROADCASTING';

/**
 * Handles a batch of messages of one queue. Resolving acknowledges them all; throwing (or rejecting)
 * hands them back for a later redelivery (the broker's retry topic in CLUSTERING, a local retry in
 * BROADCASTING).
 */
export type MessageListener = (msgs: ReceivedMessage[]) => Promise<void> | void;

export interface PushConsumerOptions extends ClientOptions {
  /** Consumer group (RocketMQ's consumerGroup). */
  group: string;
  /** topic -> tag expression (`*`, `TagA || TagB`); more can be added with subscribe(). */
  subscriptions?: Record<string, string>;
  messageModel?: MessageModel;
  /** For queues the group has no offset for yet; default 'last' (only new messages). */
  consumeFrom?: ConsumeFrom;
  /** Messages per pull request (32). */
  pullBatchSize?: number;
  /** Most messages handed to one listener call (1). */
  consumeBatchSize?: number;
  /** Listener calls running at once over all queues (20); one queue never has two. */
  maxConcurrency?: number;
  /** Pulling a queue pauses while it has this many unacknowledged messages (1000). */
  pullThresholdForQueue?: number;
  /** Redeliveries before a message goes to the dead-letter queue (16). */
  maxReconsumeTimes?: number;
  /** How long the broker may hold an empty pull (15 s). */
  suspendTimeoutMs?: number;
  /** Rebalance period (20 s); rebalances also happen when the broker reports a membership change. */
  rebalanceIntervalMs?: number;
  /** Offset commit period (5 s). */
  persistOffsetIntervalMs?: number;
  /** Pause after a failed pull (3 s). */
  pullErrorBackoffMs?: number;
  /**
   * Delay level for messages handed back to the broker after a failure; 0 (default) lets the broker
   * choose 3 + reconsumeTimes (10 s, 30 s, 1 min, ...).
   */
  sendBackDelayLevel?: number;
  /** Pause before a local redelivery of failed messages (5 s). */
  reconsumeDelayMs?: number;
  /** BROADCASTING offsets live in `<offsetStoreDir>/<clientId>/<group>.json` (default ~/.tern/offsets). */
  offsetStoreDir?: string;
  /** How long shutdown waits for listener calls in progress (30 s). */
  shutdownTimeoutMs?: number;
  allocateStrategy?: AllocateStrategy;
}

export interface MessagesOptions {
  /**
   * 'auto' (default): a message is acknowledged when the loop asks for the next one, i.e. once the
   * loop body is done with it. Leaving the loop (break, return, throw) leaves the current message
   * unacknowledged; call consumer.ack(msg) first if it was handled.
   * 'manual': nothing is acknowledged until consumer.ack(msg) is called, in any order.
   */
  ack?: 'auto' | 'manual';
}

const CONSUME_FROM_WHERE = {
  first: 'CONSUME_FROM_FIRST_OFFSET',
  last: 'CONSUME_FROM_LAST_OFFSET',
  timestamp: 'CONSUME_FROM_TIMESTAMP',
} as const;

/** Pull errors after which the broker should hear our subscription again (it may have restarted). */
const RESUBSCRIBE_CODES = new Set<number>([
  ResponseCode.SUBSCRIPTION_NOT_EXIST, ResponseCode.SUBSCRIPTION_NOT_LATEST, ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
]);

/** Counting semaphore for listener calls. */
class Slots {
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

function validateGroup(group: string): void {
  if (!group) throw new ClientError('the consumer group name is empty');
  if (!/^[%|a-zA-Z0-9_-]+$/.test(group)) throw new ClientError(`the group name "${group}" contains characters other than %|a-zA-Z0-9_-`);
  if (group.length > 255) throw new ClientError('the group name is longer than 255 characters');
}

/**
 * Receives messages pushed (long-polled, really) from the brokers. Queues of the subscribed topics
 * are shared among the group's members (AllocateMessageQueueAveragely) and rebalanced when members
 * come and go. Each queue delivers in order, one batch at a time.
 *
 * Either register a listener:
 * ```ts
 * const c = new PushConsumer({ namesrvAddr, group: 'g', subscriptions: { T: 'TagA || TagB' } });
 * c.onMessage(async (msgs) => { for (const m of msgs) handle(m); });
 * await c.start();
 * ```
 * or iterate:
 * ```ts
 * await c.start();
 * for await (const m of c.messages()) handle(m);   // acknowledged when the loop comes round again
 * ```
 */
export class PushConsumer {
  readonly group: string;
  readonly messageModel: MessageModel;
  private readonly instance: ClientInstance;
  private readonly offsets: OffsetStore;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private readonly queues = new Map<string, ProcessQueue>();
  /** Which queue a delivered message came from (its topic may have been reset from the retry topic). */
  private readonly origin = new WeakMap<ReceivedMessage, ProcessQueue>();
  private readonly slots: Slots;
  private readonly o: Required<Omit<PushConsumerOptions, keyof ClientOptions | 'subscriptions' | 'offsetStoreDir' | 'allocateStrategy'>>;
  private readonly allocate: AllocateStrategy;
  private listener: MessageListener | undefined;
  private iterating = false;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stop = new AbortController();
  private rebalancing: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private rebalanceAgain = false;
  private arrivals: (() => void)[] = [];
  private nextQueueIndex = 0;
  private lastResubscribe = 0;
  private routeRetryMs = 500;

  constructor(options: PushConsumerOptions) {
    validateGroup(options.group);
    this.group = options.group;
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.instance = new ClientInstance(options);
    this.o = {
      group: options.group,
      messageModel: this.messageModel,
      consumeFrom: options.consumeFrom ?? 'last',
      pullBatchSize: options.pullBatchSize ?? 32,
      consumeBatchSize: Math.max(1, options.consumeBatchSize ?? 1),
      maxConcurrency: Math.max(1, options.maxConcurrency ?? 20),
      pullThresholdForQueue: options.pullThresholdForQueue ?? 1000,
      maxReconsumeTimes: options.maxReconsumeTimes ?? 16,
      suspendTimeoutMs: options.suspendTimeoutMs ?? 15_000,
      rebalanceIntervalMs: options.rebalanceIntervalMs ?? 20_000,
      persistOffsetIntervalMs: options.persistOffsetIntervalMs ?? 5_000,
      pullErrorBackoffMs: options.pullErrorBackoffMs ?? 3_000,
      reconsumeDelayMs: options.reconsumeDelayMs ?? 5_000,
      sendBackDelayLevel: options.sendBackDelayLevel ?? 0,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
    };
    this.allocate = options.allocateStrategy ?? allocateAveragely;
    this.slots = new Slots(this.o.maxConcurrency);
    if (this.messageModel === 'BROADCASTING') {
      const dir = options.offsetStoreDir ?? path.join(os.homedir(), '.tern', 'offsets');
      this.offsets = new LocalOffsetStore(path.join(dir, this.instance.clientId, `${this.group}.json`));
    } else {
      this.offsets = new RemoteOffsetStore(this.instance, this.group);
    }
    for (const [topic, expression] of Object.entries(options.subscriptions ?? {})) this.subscribe(topic, expression);
  }

  get clientId(): string {
    return this.instance.clientId;
  }

  /** Queues this member currently reads (of one topic, or all, including the group's retry topic). */
  assignedQueues(topic?: string): MessageQueue[] {
    return [...this.queues.values()]
      .filter((pq) => !pq.dropped && (topic === undefined || pq.mq.topic === topic))
      .map((pq) => ({ ...pq.mq }));
  }

  /** Adds (or replaces) the subscription to `topic`. Allowed before and after start. */
  subscribe(topic: string, expression = '*', type: ExpressionType = 'TAG'): this {
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) throw new ClientError('retry topics are subscribed automatically');
    this.subscriptions.set(topic, buildSubscription(topic, expression, type));
    if (this.state === 'running') {
      this.instance.watchTopic(topic);
      void this.instance.heartbeatAll().catch(() => {}).then(() => this.requestRebalance());
    }
    return this;
  }

  unsubscribe(topic: string): this {
    this.subscriptions.delete(topic);
    if (this.state === 'running') void this.instance.heartbeatAll().catch(() => {}).then(() => this.requestRebalance());
    return this;
  }

  /** Sets the listener; must be called before start(), and rules out messages(). */
  onMessage(listener: MessageListener): this {
    if (this.state !== 'new') throw new ClientError('set the listener before start()');
    if (this.iterating) throw new ClientError('this consumer is read with messages(); it cannot also have a listener');
    this.listener = listener;
    return this;
  }

  /**
   * Starts the consumer: announces it to the brokers, takes its share of the queues and starts
   * pulling. Rejects with a ClientError when no name server can be reached.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new ClientError(`consumer ${this.group} was already started`);
    if (this.subscriptions.size === 0) throw new ClientError(`consumer ${this.group} has no subscription`);
    this.state = 'running';
    try {
      await this.startRunning();
    } catch (err) {
      await this.shutdown().catch(() => {});
      throw err;
    }
  }

  private async startRunning(): Promise<void> {
    await this.offsets.load();
    this.instance.registerConsumer(this.group, {
      consumerData: () => this.consumerData(),
      onConsumerIdsChanged: () => this.requestRebalance(),
      onOffsetsReset: (topic, offsets) => void this.resetOffsets(topic, offsets),
    });
    const topics = [...this.subscriptions.keys()];
    if (this.messageModel === 'CLUSTERING') topics.push(retryTopic(this.group));
    for (const topic of topics) {
      this.instance.watchTopic(topic);
      const route = await this.instance.refreshRoute(topic);
      if (!route && !topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
        this.instance.log.warn(`topic ${topic} does not exist yet; ${this.group} will read it once it appears`);
      }
    }
    this.instance.start();
    await this.instance.heartbeatAll().catch((err) => this.instance.log.warn(`heartbeat: ${(err as Error).message}`));
    this.every(this.o.rebalanceIntervalMs, () => this.requestRebalance());
    this.every(this.o.persistOffsetIntervalMs, () => void this.persistOffsets(false));
    await this.requestRebalance();
  }

  /**
   * Stops pulling, waits for listener calls in progress (up to shutdownTimeoutMs), commits offsets,
   * unregisters from the brokers and closes the connections. Iterators from messages() end.
   */
  shutdown(): Promise<void> {
    if (this.state === 'new') return Promise.resolve();
    this.stopped ??= this.stopRunning();
    return this.stopped;
  }

  private async stopRunning(): Promise<void> {
    this.state = 'stopping';
    for (const t of this.timers) clearInterval(t);
    this.stop.abort();
    this.wakeIterators();
    const loops = Promise.all([...this.queues.values()].map((pq) => pq.consumeLoop));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loops, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.o.shutdownTimeoutMs); })]);
    clearTimeout(timer);
    await this.rebalancing?.catch(() => {});
    await this.persistOffsets(true);
    for (const pq of this.queues.values()) pq.dropped = true;
    this.state = 'stopped';
    await this.instance.shutdown();
  }

  /**
   * Acknowledges a message obtained from messages() (needed with ack: 'manual', or before leaving the
   * loop with ack: 'auto'). Acknowledging twice, or after the queue moved to another member, is harmless.
   */
  ack(msg: ReceivedMessage): void {
    const pq = this.origin.get(msg);
    if (pq && !pq.dropped) pq.ack(msg.queueOffset);
  }

  /**
   * The messages of all owned queues as one async sequence, each queue's in order. Ends when the
   * consumer shuts down. See MessagesOptions for when a message counts as acknowledged. Unacknowledged
   * messages hold back their queue's committed offset, so a restart or rebalance delivers them again
   * (at-least-once); a queue with pullThresholdForQueue unacknowledged messages stops pulling.
   */
  messages(options: MessagesOptions = {}): AsyncIterableIterator<ReceivedMessage> {
    if (this.listener) throw new ClientError('this consumer has a listener; it cannot also be read with messages()');
    this.iterating = true;
    return this.iterate(options.ack ?? 'auto');
  }

  private async *iterate(ack: 'auto' | 'manual'): AsyncGenerator<ReceivedMessage> {
    for (;;) {
      const msg = await this.nextMessage();
      if (!msg) return;
      yield msg;
      if (ack === 'auto') this.ack(msg);
    }
  }

  /** Next undelivered message, taking queues in turn; undefined once the consumer stops. */
  private async nextMessage(): Promise<ReceivedMessage | undefined> {
    for (;;) {
      if (this.state === 'stopping' || this.state === 'stopped') return undefined;
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

  private wakeIterators(): void {
    const waiting = this.arrivals;
    this.arrivals = [];
    for (const wake of waiting) wake();
  }

  // --- heartbeat data ------------------------------------------------------------------------------

  private consumerData(): ConsumerData {
    const subs = [...this.subscriptions.values()];
    if (this.messageModel === 'CLUSTERING') subs.push(this.retrySubscription());
    const from = this.o.consumeFrom;
    return {
      groupName: this.group,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: this.messageModel,
      consumeFromWhere: typeof from === 'string' ? CONSUME_FROM_WHERE[from] : CONSUME_FROM_WHERE.timestamp,
      subscriptionDataSet: subs,
      unitMode: false,
    };
  }

  private retrySub: SubscriptionData | undefined;
  private retrySubscription(): SubscriptionData {
    this.retrySub ??= buildSubscription(retryTopic(this.group), '*');
    return this.retrySub;
  }

  private subscriptionOf(topic: string): SubscriptionData | undefined {
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return this.messageModel === 'CLUSTERING' ? this.retrySubscription() : undefined;
    return this.subscriptions.get(topic);
  }

  // --- rebalance -----------------------------------------------------------------------------------

  /** Runs a rebalance now, or once more after the one in progress. */
  private requestRebalance(): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    if (this.rebalancing) {
      this.rebalanceAgain = true;
      return this.rebalancing;
    }
    this.rebalancing = (async () => {
      do {
        this.rebalanceAgain = false;
        await this.rebalanceAll();
      } while (this.rebalanceAgain && this.state === 'running');
    })().finally(() => {
      this.rebalancing = undefined;
    });
    return this.rebalancing;
  }

  private async rebalanceAll(): Promise<void> {
    const topics = [...this.subscriptions.keys()];
    if (this.messageModel === 'CLUSTERING') topics.push(retryTopic(this.group));
    let unrouted = false;
    for (const topic of topics) {
      if (this.state !== 'running') return;
      try {
        if (!(await this.rebalanceTopic(topic))) unrouted = true;
      } catch (err) {
        this.instance.log.warn(`rebalance of ${topic} in ${this.group}: ${(err as Error).message}`);
      }
    }
    // A subscribed topic without a route yet (just created, or not yet): look again soon, backing off
    // towards the normal rebalance period.
    if (unrouted) {
      this.routeRetryMs = Math.min(this.o.rebalanceIntervalMs, this.routeRetryMs * 2);
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
    const route = this.instance.cachedRoute(topic) ?? (await this.instance.refreshRoute(topic));
    if (!route) return false;
    const all = subscribeQueues(topic, route);
    let mine: MessageQueue[];
    if (this.messageModel === 'BROADCASTING') {
      mine = all;
    } else {
      const brokers = allBrokerAddresses(route);
      if (brokers.length === 0) return false;
      const ids = (await this.instance.api.getConsumerIdList(brokers[0]!, this.group)).sort();
      if (!ids.includes(this.clientId)) {
        // The broker has not (or no longer) seen our heartbeat, e.g. it restarted: announce ourselves and
        // keep the current share until the next round rather than dropping everything.
        await this.instance.heartbeatAll().catch(() => {});
        setTimeout(() => void this.requestRebalance(), 1_000).unref();
        return true;
      }
      mine = this.allocate(this.clientId, all, ids);
    }
    const wanted = new Set(mine.map(queueKey));
    for (const pq of this.queues.values()) {
      if (pq.mq.topic === topic && !wanted.has(pq.key)) await this.dropQueue(pq);
    }
    for (const mq of mine) {
      if (this.queues.has(queueKey(mq))) continue;
      if (this.state !== 'running') return true;
      let offset: number;
      try {
        offset = await this.startOffset(mq);
      } catch (err) {
        this.instance.log.warn(`no start offset for ${mq.topic}/${mq.brokerName}/${mq.queueId}: ${(err as Error).message}`);
        continue;
      }
      if (this.state !== 'running') return true;
      const pq = new ProcessQueue(mq, offset);
      this.queues.set(pq.key, pq);
      this.instance.log.debug(`${this.clientId} reads ${pq.key} from offset ${offset}`);
      void this.pullLoop(pq);
    }
    return true;
  }

  /** Gives a queue up: waits for its listener call, then commits its offset for the next owner. */
  private async dropQueue(pq: ProcessQueue): Promise<void> {
    pq.dropped = true;
    pq.clearReady();
    this.queues.delete(pq.key);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pq.consumeLoop, new Promise<void>((resolve) => { timer = setTimeout(resolve, 10_000); })]);
    clearTimeout(timer);
    this.offsets.update(pq.mq, pq.commitOffset);
    await this.offsets.persist([pq.mq], true);
    this.offsets.remove(pq.mq);
    this.instance.log.debug(`${this.clientId} gave up ${pq.key} at offset ${pq.commitOffset}`);
  }

  /**
   * An admin moved the group's offsets (resetOffsetByTime): the named queues are dropped without
   * committing their old offsets, the new ones are stored, and the rebalance that follows reopens the
   * queues from there (RocketMQ's MQClientInstance.resetOffset).
   */
  private async resetOffsets(topic: string, offsets: QueueOffset[]): Promise<void> {
    if (this.state !== 'running') return;
    this.instance.log.info(`offsets of ${this.group} on ${topic} were reset for ${offsets.length} queue(s)`);
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
    for (const { mq, offset } of offsets) this.offsets.update(mq, offset);
    await this.offsets.persist(offsets.map((o) => o.mq), true);
    for (const { mq } of offsets) this.offsets.remove(mq);
    await this.requestRebalance();
  }

  /** The committed offset, or where consumeFrom says a new group starts. */
  private async startOffset(mq: MessageQueue): Promise<number> {
    const stored = await this.offsets.read(mq);
    if (stored >= 0) return stored;
    const from = this.o.consumeFrom;
    if (from === 'first') return 0;
    const isRetry = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    const broker = this.instance.requireMember(mq.brokerName);
    if (from === 'last') return isRetry ? 0 : this.instance.api.getMaxOffset(broker, mq);
    return isRetry ? this.instance.api.getMaxOffset(broker, mq) : this.instance.api.searchOffset(broker, mq, from.timestamp);
  }

  // --- pulling -------------------------------------------------------------------------------------

  private async pullLoop(pq: ProcessQueue): Promise<void> {
    const { mq } = pq;
    while (!pq.dropped && this.state === 'running') {
      if (pq.unackedCount >= this.o.pullThresholdForQueue) {
        await this.sleep(50);
        continue;
      }
      const sub = this.subscriptionOf(mq.topic);
      if (!sub) return;
      const broker = this.instance.brokerAddress(mq.brokerName, pq.suggestedBrokerId);
      if (!broker) {
        await this.instance.refreshRoute(mq.topic).catch(() => undefined);
        await this.sleep(this.o.pullErrorBackoffMs);
        continue;
      }
      const commitOffset = this.messageModel === 'CLUSTERING' ? pq.commitOffset : 0;
      const fromMaster = broker === this.instance.brokerAddress(mq.brokerName);
      try {
        const r = await this.instance.api.pullMessage(broker, {
          consumerGroup: this.group,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: pq.nextOffset,
          maxMsgNums: this.o.pullBatchSize,
          sysFlag: buildPullSysFlag({ commitOffset: commitOffset > 0 && fromMaster, suspend: true }),
          commitOffset,
          suspendTimeoutMillis: this.o.suspendTimeoutMs,
          subVersion: sub.subVersion,
          expressionType: sub.expressionType,
          brokerName: mq.brokerName,
        }, this.o.suspendTimeoutMs + 15_000);
        if (pq.dropped || this.state !== 'running') return;
        pq.suggestedBrokerId = r.suggestWhichBrokerId;
        if (r.code === ResponseCode.SUCCESS) {
          const msgs = r.body ? decodePulledMessages(r.body, mq, r, (offset, why) =>
            this.instance.log.warn(`message ${mq.topic}/${mq.queueId}@${offset}: ${why}`)) : [];
          const kept = msgs.filter((m) => matchesSubscription(sub, m.tags));
          pq.accept(kept, r.nextBeginOffset);
          if (kept.length > 0) this.dispatch(pq);
        } else if (r.code === ResponseCode.PULL_OFFSET_MOVED) {
          this.instance.log.warn(`offset ${pq.nextOffset} of ${pq.key} is out of range; moving to ${r.nextBeginOffset}`);
          pq.moveTo(r.nextBeginOffset);
          this.offsets.update(mq, pq.commitOffset);
          await this.offsets.persist([mq], false);
        } else {
          pq.moveTo(r.nextBeginOffset);
        }
      } catch (err) {
        if (pq.dropped || this.state !== 'running') return;
        this.instance.log.warn(`pull ${pq.key} from ${broker}: ${(err as Error).message}`);
        if (err instanceof ClientError && err.responseCode !== undefined && RESUBSCRIBE_CODES.has(err.responseCode)) this.resubscribe();
        await this.sleep(this.o.pullErrorBackoffMs);
      }
    }
  }

  /** Heartbeat again (at most every few seconds) when a broker forgot our subscription. */
  private resubscribe(): void {
    const now = Date.now();
    if (now - this.lastResubscribe < 2_000) return;
    this.lastResubscribe = now;
    void this.instance.heartbeatAll().catch(() => {});
  }

  /** Resolves after `ms`, or early when the consumer stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done);
    });
  }

  private every(ms: number, task: () => unknown): void {
    const t = setInterval(task, ms);
    t.unref();
    this.timers.push(t);
  }

  // --- delivery ------------------------------------------------------------------------------------

  private dispatch(pq: ProcessQueue): void {
    if (!this.listener) {
      this.wakeIterators();
      return;
    }
    if (pq.consuming) return;
    pq.consuming = true;
    pq.consumeLoop = this.consumeLoop(pq, this.listener);
  }

  /** Feeds one queue's messages to the listener, one batch at a time, in order. */
  private async consumeLoop(pq: ProcessQueue, listener: MessageListener): Promise<void> {
    try {
      while (!pq.dropped && this.state === 'running') {
        const batch = pq.take(this.o.consumeBatchSize);
        if (batch.length === 0) return;
        await this.slots.acquire();
        let failure: unknown;
        try {
          await listener(batch);
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
    const why = failure instanceof Error ? failure.message : String(failure);
    this.instance.log.warn(`listener of ${this.group} failed on ${batch.length} message(s) of ${pq.key}: ${why}`);
    const again: ReceivedMessage[] = [];
    for (const msg of batch) {
      if (this.messageModel === 'CLUSTERING' && (await this.sendBack(msg))) {
        pq.ack(msg.queueOffset);
        continue;
      }
      const attempts = (pq.attempts.get(msg.queueOffset) ?? 0) + 1;
      if (this.messageModel === 'BROADCASTING' && attempts > this.o.maxReconsumeTimes) {
        this.instance.log.warn(`giving up on ${msg.msgId} of ${pq.key} after ${attempts} attempts`);
        pq.ack(msg.queueOffset);
        continue;
      }
      pq.attempts.set(msg.queueOffset, attempts);
      msg.reconsumeTimes++;
      again.push(msg);
    }
    if (again.length === 0) return;
    await this.sleep(this.o.reconsumeDelayMs);
    pq.putBack(again);
  }

  private async sendBack(msg: ReceivedMessage): Promise<boolean> {
    const broker = this.instance.brokerAddress(msg.brokerName);
    if (!broker) return false;
    try {
      await this.instance.api.consumerSendMessageBack(broker, {
        offset: msg.commitLogOffset,
        group: this.group,
        delayLevel: this.o.sendBackDelayLevel,
        originMsgId: msg.msgId,
        originTopic: msg.topic,
        maxReconsumeTimes: this.o.maxReconsumeTimes,
        brokerName: msg.brokerName,
      });
      return true;
    } catch (err) {
      this.instance.log.warn(`send back of ${msg.msgId} failed, retrying locally: ${(err as Error).message}`);
      return false;
    }
  }

  // --- offsets -------------------------------------------------------------------------------------

  private async persistOffsets(wait: boolean): Promise<void> {
    const mqs: MessageQueue[] = [];
    for (const pq of this.queues.values()) {
      if (pq.dropped) continue;
      this.offsets.update(pq.mq, pq.commitOffset);
      mqs.push(pq.mq);
    }
    try {
      await this.offsets.persist(mqs, wait);
    } catch (err) {
      this.instance.log.warn(`persisting offsets of ${this.group}: ${(err as Error).message}`);
    }
  }
}
