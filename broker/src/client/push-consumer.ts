import os from 'node:os';
import path from 'node:path';
import { retryTopic, RETRY_GROUP_TOPIC_PREFIX, type ConsumerData, type SubscriptionData } from '../protocol/index.ts';
import { allocateAveragely } from './allocate.ts';
import { ClientError } from './client-error.ts';
import { ConsumeService } from './consume-service.ts';
import { ClientInstance } from './client-instance.ts';
import type { MessageQueue } from './message-queue.ts';
import { MessageIterator } from './message-iterator.ts';
import { LocalOffsetStore, RemoteOffsetStore, type OffsetStore } from './offset-store.ts';
import type { ProcessQueue } from './process-queue.ts';
import { PullService } from './pull-service.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import {
  resolvePushConsumerOptions, type MessageListener, type MessageModel, type MessagesOptions, type PushConsumerOptions,
  type ResolvedPushConsumerOptions,
} from './push-consumer-options.ts';
import { RebalanceService } from './rebalance-service.ts';
import { OrderlyConsumeService } from './orderly-consume-service.ts';
import { LOCK_RENEW_INTERVAL_MS, QueueLockService } from './queue-lock-service.ts';
import type { ReceivedMessage } from './received-message.ts';
import { buildSubscription, type ExpressionType } from './subscription.ts';

export type {
  ConsumeFrom, MessageListener, MessageModel, MessagesOptions, PushConsumerOptions,
} from './push-consumer-options.ts';
import { abortableSleep } from './abortable-sleep.ts';

const CONSUME_FROM_WHERE = {
  first: 'CONSUME_FROM_FIRST_OFFSET',
  last: 'CONSUME_FROM_LAST_OFFSET',
  timestamp: 'CONSUME_FROM_TIMESTAMP',
} as const;

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
 *
 * The work is split as in RocketMQ: RebalanceService (which queues), PullService (long polls),
 * ConsumeService (listener calls, send-back) or MessageIterator (messages()).
 */
export class PushConsumer {
  readonly group: string;
  readonly messageModel: MessageModel;
  private readonly instance: ClientInstance;
  private readonly offsets: OffsetStore;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private readonly o: ResolvedPushConsumerOptions;
  private readonly ctx: PushConsumerContext;
  private readonly rebalance: RebalanceService;
  private readonly pulls: PullService;
  private readonly iterator: MessageIterator;
  private consume: ConsumeService | OrderlyConsumeService | undefined;
  private readonly locks: QueueLockService | undefined;
  private listener: MessageListener | undefined;
  private iterating = false;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stop = new AbortController();
  private stopped: Promise<void> | undefined;

  constructor(options: PushConsumerOptions) {
    validateGroup(options.group);
    this.group = options.group;
    this.o = resolvePushConsumerOptions(options);
    this.messageModel = this.o.messageModel;
    this.instance = new ClientInstance(options);
    if (this.messageModel === 'BROADCASTING') {
      const dir = options.offsetStoreDir ?? path.join(os.homedir(), '.tern', 'offsets');
      this.offsets = new LocalOffsetStore(path.join(dir, this.instance.clientId, `${this.group}.json`));
    } else {
      this.offsets = new RemoteOffsetStore(this.instance, this.group);
    }
    this.ctx = {
      instance: this.instance,
      group: this.group,
      options: this.o,
      offsets: this.offsets,
      isRunning: () => this.state === 'running',
      sleep: (ms) => abortableSleep(ms, this.stop.signal),
      topics: () => this.topics(),
      subscriptionOf: (topic) => this.subscriptionOf(topic),
    };
    this.pulls = new PullService(this.ctx, (pq) => this.dispatch(pq));
    if (this.o.orderly && this.messageModel === 'CLUSTERING') this.locks = new QueueLockService(this.ctx);
    this.rebalance = new RebalanceService(this.ctx, options.allocateStrategy ?? allocateAveragely, (pq) => void this.pulls.pullLoop(pq), this.locks);
    this.iterator = new MessageIterator(this.rebalance.queues, () => this.state === 'stopping' || this.state === 'stopped');
    for (const [topic, expression] of Object.entries(options.subscriptions ?? {})) this.subscribe(topic, expression);
  }

  get clientId(): string {
    return this.instance.clientId;
  }

  /** Queues this member currently reads (of one topic, or all, including the group's retry topic). */
  assignedQueues(topic?: string): MessageQueue[] {
    return [...this.rebalance.queues.values()]
      .filter((pq) => !pq.dropped && (topic === undefined || pq.mq.topic === topic))
      .map((pq) => ({ ...pq.mq }));
  }

  /** Adds (or replaces) the subscription to `topic`. Allowed before and after start. */
  subscribe(topic: string, expression = '*', type: ExpressionType = 'TAG'): this {
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) throw new ClientError('retry topics are subscribed automatically');
    this.subscriptions.set(topic, buildSubscription(topic, expression, type));
    if (this.state === 'running') {
      this.instance.watchTopic(topic);
      void this.instance.heartbeatAll().catch(() => {}).then(() => this.rebalance.requestRebalance());
    }
    return this;
  }

  unsubscribe(topic: string): this {
    this.subscriptions.delete(topic);
    if (this.state === 'running') void this.instance.heartbeatAll().catch(() => {}).then(() => this.rebalance.requestRebalance());
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
    if (this.o.orderly && !this.listener) throw new ClientError(`orderly consumer ${this.group} needs a listener (onMessage) before start()`);
    this.state = 'running';
    try {
      await this.startRunning();
    } catch (err) {
      await this.shutdown().catch(() => {});
      throw err;
    }
  }

  private async startRunning(): Promise<void> {
    if (this.listener) this.consume = this.o.orderly ? new OrderlyConsumeService(this.ctx, this.listener) : new ConsumeService(this.ctx, this.listener);
    await this.offsets.load();
    this.instance.registerConsumer(this.group, {
      consumerData: () => this.consumerData(),
      onConsumerIdsChanged: () => this.rebalance.requestRebalance(),
      onOffsetsReset: (topic, offsets) => void this.rebalance.resetOffsets(topic, offsets),
    });
    for (const topic of this.topics()) {
      this.instance.watchTopic(topic);
      const route = await this.instance.refreshRoute(topic);
      if (!route && !topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
        this.instance.log.warn(`topic ${topic} does not exist yet; ${this.group} will read it once it appears`);
      }
    }
    this.instance.start();
    await this.instance.heartbeatAll().catch((err) => this.instance.log.warn(`heartbeat: ${(err as Error).message}`));
    this.every(this.o.rebalanceIntervalMs, () => this.rebalance.requestRebalance());
    this.every(this.o.persistOffsetIntervalMs, () => void this.persistOffsets(false));
    const locks = this.locks;
    if (locks) this.every(LOCK_RENEW_INTERVAL_MS, () => void locks.renew(this.rebalance.queues.values()));
    await this.rebalance.requestRebalance();
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
    this.iterator.wake();
    const loops = Promise.all([...this.rebalance.queues.values()].map((pq) => pq.consumeLoop));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([loops, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.o.shutdownTimeoutMs); })]);
    clearTimeout(timer);
    await this.rebalance.settled();
    await this.persistOffsets(true);
    for (const pq of this.rebalance.queues.values()) pq.dropped = true;
    // The group's other members may take the queues over at once instead of waiting for the locks to expire.
    if (this.locks) await this.locks.unlock([...this.rebalance.queues.values()].filter((pq) => pq.lockedAt > 0).map((pq) => pq.mq));
    this.state = 'stopped';
    await this.instance.shutdown();
  }

  /**
   * Acknowledges a message obtained from messages() (needed with ack: 'manual', or before leaving the
   * loop with ack: 'auto'). Acknowledging twice, or after the queue moved to another member, is harmless.
   */
  ack(msg: ReceivedMessage): void {
    this.iterator.ack(msg);
  }

  /**
   * The messages of all owned queues as one async sequence, each queue's in order. Ends when the
   * consumer shuts down. See MessagesOptions for when a message counts as acknowledged. Unacknowledged
   * messages hold back their queue's committed offset, so a restart or rebalance delivers them again
   * (at-least-once); a queue with pullThresholdForQueue unacknowledged messages stops pulling.
   */
  messages(options: MessagesOptions = {}): AsyncIterableIterator<ReceivedMessage> {
    if (this.listener) throw new ClientError('this consumer has a listener; it cannot also be read with messages()');
    if (this.o.orderly) throw new ClientError('an orderly consumer needs a listener (onMessage); messages() is not orderly');
    this.iterating = true;
    return this.iterator.iterate(options.ack ?? 'auto');
  }

  /** New messages in a queue: to the listener if there is one, else to waiting iterators. */
  private dispatch(pq: ProcessQueue): void {
    if (this.consume) this.consume.dispatch(pq);
    else this.iterator.wake();
  }

  // --- subscriptions and heartbeat data ------------------------------------------------------------

  private topics(): string[] {
    const topics = [...this.subscriptions.keys()];
    if (this.messageModel === 'CLUSTERING') topics.push(retryTopic(this.group));
    return topics;
  }

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

  // --- timers and offsets --------------------------------------------------------------------------

  private every(ms: number, task: () => unknown): void {
    const t = setInterval(task, ms);
    t.unref();
    this.timers.push(t);
  }

  private async persistOffsets(wait: boolean): Promise<void> {
    const mqs: MessageQueue[] = [];
    for (const pq of this.rebalance.queues.values()) {
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
