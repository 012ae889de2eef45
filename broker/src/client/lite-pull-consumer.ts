import { RETRY_GROUP_TOPIC_PREFIX, type ConsumerData, type SubscriptionData } from '../protocol/index.ts';
import { allocateAveragely, type AllocateStrategy } from './allocate.ts';
import { ClientError } from './client-error.ts';
import { ClientInstance, type ClientOptions } from './client-instance.ts';
import type { MessageQueue } from './message-queue.ts';
import { queueKey } from './message-queue.ts';
import { RemoteOffsetStore } from './offset-store.ts';
import { PullService } from './pull-service.ts';
import type { PushConsumerContext } from './push-consumer-context.ts';
import { resolvePushConsumerOptions, type ConsumeFrom } from './push-consumer-options.ts';
import { RebalanceService } from './rebalance-service.ts';
import type { ReceivedMessage } from './received-message.ts';
import { buildSubscription, type ExpressionType } from './subscription.ts';
import { subscribeQueues } from './topic-route.ts';
import { abortableSleep } from './abortable-sleep.ts';

export interface LitePullConsumerOptions extends ClientOptions {
  group: string;
  /** For queues the group has no offset for yet; default 'last'. */
  consumeFrom?: ConsumeFrom;
  /** Most messages one poll returns, and per pull request (RocketMQ's pullBatchSize, 10). */
  pullBatchSize?: number;
  /** Commit the offsets of polled messages every autoCommitIntervalMs (default true); else only commit() does. */
  autoCommit?: boolean;
  /** 5 s. */
  autoCommitIntervalMs?: number;
  /** poll() with no timeout waits this long for messages (5 s). */
  pollTimeoutMs?: number;
  /** Pulling a queue pauses while this many of its messages wait for poll() (1000). */
  pullThresholdForQueue?: number;
  /** Subscribe mode: rebalance period (20 s), besides the broker's membership notices. */
  rebalanceIntervalMs?: number;
  /** Pause after a failed pull (3 s). */
  pullErrorBackoffMs?: number;
  /** How long the broker may hold an empty pull (15 s). */
  suspendTimeoutMs?: number;
  allocateStrategy?: AllocateStrategy;
}

/**
 * Pull-style consumption with the machinery of the PushConsumer (RocketMQ's DefaultLitePullConsumer): queues
 * are pulled in the background and poll() hands out what arrived. Either subscribe() to topics (the group's
 * members share the queues, CLUSTERING) or assign() queues yourself (no sharing). Polled messages count as
 * consumed: their offsets are committed every autoCommitIntervalMs, or by commit() when autoCommit is off.
 *
 * ```ts
 * const c = new LitePullConsumer({ namesrvAddr, group: 'g' });
 * c.subscribe('T', 'TagA');
 * await c.start();
 * for (;;) for (const m of await c.poll(1000)) handle(m);
 * ```
 */
export class LitePullConsumer {
  readonly group: string;
  private readonly instance: ClientInstance;
  private readonly offsets: RemoteOffsetStore;
  private readonly subscriptions = new Map<string, SubscriptionData>();
  private readonly ctx: PushConsumerContext;
  private readonly rebalance: RebalanceService;
  private readonly pulls: PullService;
  private readonly batchSize: number;
  private readonly autoCommit: boolean;
  private readonly autoCommitIntervalMs: number;
  private readonly pollTimeoutMs: number;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private assigned: MessageQueue[] = [];
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly stop = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private waiters: (() => void)[] = [];
  private nextQueue = 0;
  private stopped: Promise<void> | undefined;

  constructor(options: LitePullConsumerOptions) {
    if (!options.group) throw new ClientError('the consumer group name is empty');
    this.group = options.group;
    this.batchSize = Math.max(1, options.pullBatchSize ?? 10);
    this.autoCommit = options.autoCommit ?? true;
    this.autoCommitIntervalMs = options.autoCommitIntervalMs ?? 5_000;
    this.pollTimeoutMs = options.pollTimeoutMs ?? 5_000;
    this.instance = new ClientInstance(options);
    this.offsets = new RemoteOffsetStore(this.instance, this.group);
    this.ctx = {
      instance: this.instance,
      group: this.group,
      options: resolvePushConsumerOptions({
        ...options, messageModel: 'CLUSTERING', pullBatchSize: this.batchSize, persistOffsetIntervalMs: this.autoCommitIntervalMs,
      }),
      offsets: this.offsets,
      isRunning: () => this.state === 'running',
      sleep: (ms) => abortableSleep(ms, this.stop.signal),
      topics: () => [...this.subscriptions.keys()],
      subscriptionOf: (topic) => this.subscriptions.get(topic),
    };
    this.pulls = new PullService(this.ctx, () => this.wakePollers(), { commitInPull: this.autoCommit });
    this.rebalance = new RebalanceService(this.ctx, options.allocateStrategy ?? allocateAveragely, (pq) => void this.pulls.pullLoop(pq));
  }

  get clientId(): string {
    return this.instance.clientId;
  }

  /** Subscribe mode: read a share of `topic`'s queues. Allowed before and after start; not with assign(). */
  subscribe(topic: string, expression = '*', type: ExpressionType = 'TAG'): this {
    if (this.mode === 'assign') throw new ClientError('this consumer reads assigned queues; it cannot also subscribe');
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) throw new ClientError('a LitePullConsumer does not read retry topics');
    this.mode = 'subscribe';
    this.subscriptions.set(topic, buildSubscription(topic, expression, type));
    if (this.state === 'running') void this.announce();
    return this;
  }

  unsubscribe(topic: string): this {
    this.subscriptions.delete(topic);
    if (this.state === 'running') void this.announce();
    return this;
  }

  /** Assign mode: read exactly these queues (all messages), replacing any earlier assignment; not with subscribe(). */
  assign(mqs: readonly MessageQueue[]): this {
    if (this.mode === 'subscribe') throw new ClientError('this consumer subscribes to topics; it cannot also be assigned queues');
    this.mode = 'assign';
    this.assigned = mqs.map((mq) => ({ topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId }));
    this.subscriptions.clear();
    for (const mq of this.assigned) if (!this.subscriptions.has(mq.topic)) this.subscriptions.set(mq.topic, buildSubscription(mq.topic, '*'));
    if (this.state === 'running') void this.announce();
    return this;
  }

  /** The readable queues of a topic, for assign(). */
  async fetchMessageQueues(topic: string): Promise<MessageQueue[]> {
    const route = await this.instance.refreshRoute(topic);
    if (!route) throw new ClientError(`topic ${topic} does not exist`);
    return subscribeQueues(topic, route);
  }

  /** The queues this consumer reads now. */
  assignment(): MessageQueue[] {
    return [...this.rebalance.queues.values()].filter((pq) => !pq.dropped).map((pq) => ({ ...pq.mq }));
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new ClientError(`consumer ${this.group} was already started`);
    if (this.mode === 'none') throw new ClientError(`consumer ${this.group} has neither subscriptions nor assigned queues`);
    this.state = 'running';
    this.instance.registerConsumer(this.group, {
      consumerData: () => this.consumerData(),
      onConsumerIdsChanged: () => void this.rebalance.requestRebalance(),
      onOffsetsReset: (topic, offsets) => void this.rebalance.resetOffsets(topic, offsets),
    });
    for (const topic of this.subscriptions.keys()) {
      this.instance.watchTopic(topic);
      await this.instance.refreshRoute(topic).catch((err) => this.instance.log.warn(`route of ${topic}: ${(err as Error).message}`));
    }
    this.instance.start();
    await this.announce();
    if (this.mode === 'subscribe') this.every(this.ctx.options.rebalanceIntervalMs, () => void this.rebalance.requestRebalance());
    if (this.autoCommit) this.every(this.autoCommitIntervalMs, () => void this.persist(false));
  }

  /**
   * Up to pullBatchSize messages of one queue, in queue order; waits up to `timeoutMs` for some to arrive and
   * resolves with [] if none did (or the consumer stopped).
   */
  async poll(timeoutMs = this.pollTimeoutMs): Promise<ReceivedMessage[]> {
    if (this.state === 'new') throw new ClientError('poll() before start()');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.take();
      if (got.length > 0 || this.state !== 'running') return got;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }

  /** The next poll of `mq` starts at `offset` (committed with the next commit). The queue must be read by this consumer. */
  seek(mq: MessageQueue, offset: number): void {
    if (this.state !== 'running') throw new ClientError('seek() needs a started consumer');
    if (!Number.isInteger(offset) || offset < 0) throw new ClientError(`bad offset ${offset}`);
    if (!this.rebalance.seek(mq, offset)) throw new ClientError(`queue ${queueKey(mq)} is not read by this consumer`);
  }

  async seekToBegin(mq: MessageQueue): Promise<void> {
    this.seek(mq, await this.instance.api.getMinOffset(this.instance.requireMember(mq.brokerName), mq));
  }

  async seekToEnd(mq: MessageQueue): Promise<void> {
    this.seek(mq, await this.instance.api.getMaxOffset(this.instance.requireMember(mq.brokerName), mq));
  }

  /** Commits the offsets of everything polled so far and waits for the brokers to confirm (commitSync). */
  commit(): Promise<void> {
    return this.persist(true);
  }

  /** The group's committed offset of a queue on its broker (-1 when none). */
  committed(mq: MessageQueue): Promise<number> {
    return this.instance.api.queryConsumerOffset(this.instance.requireMember(mq.brokerName), this.group, mq);
  }

  /** Stops pulling, commits (with autoCommit), unregisters and closes connections; pending polls return []. */
  shutdown(): Promise<void> {
    if (this.state === 'new') return Promise.resolve();
    this.stopped ??= (async () => {
      if (this.autoCommit) await this.persist(true);
      this.state = 'stopped';
      for (const t of this.timers) clearInterval(t);
      this.stop.abort();
      this.wakePollers();
      await this.rebalance.settled();
      for (const pq of this.rebalance.queues.values()) pq.dropped = true;
      await this.instance.shutdown();
    })();
    return this.stopped;
  }

  /** Takes from the owned queues in turn, so one busy queue does not starve the others. */
  private take(): ReceivedMessage[] {
    const pqs = [...this.rebalance.queues.values()];
    for (let i = 0; i < pqs.length; i++) {
      const pq = pqs[(this.nextQueue + i) % pqs.length]!;
      if (pq.dropped || pq.readyCount === 0) continue;
      this.nextQueue = (this.nextQueue + i + 1) % pqs.length;
      const msgs = pq.take(this.batchSize);
      for (const m of msgs) pq.ack(m.queueOffset);
      return msgs;
    }
    return [];
  }

  private wakePollers(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  /** Heartbeat with the current subscriptions, then apply them (rebalance, or the assignment). */
  private async announce(): Promise<void> {
    await this.instance.heartbeatAll().catch((err) => this.instance.log.warn(`heartbeat: ${(err as Error).message}`));
    if (this.mode === 'assign') await this.rebalance.assign(this.assigned);
    else await this.rebalance.requestRebalance();
  }

  private consumerData(): ConsumerData {
    const from = this.ctx.options.consumeFrom;
    return {
      groupName: this.group,
      consumeType: 'CONSUME_ACTIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: from === 'first' ? 'CONSUME_FROM_FIRST_OFFSET' : from === 'last' ? 'CONSUME_FROM_LAST_OFFSET' : 'CONSUME_FROM_TIMESTAMP',
      subscriptionDataSet: [...this.subscriptions.values()],
      unitMode: false,
    };
  }

  private async persist(wait: boolean): Promise<void> {
    const mqs: MessageQueue[] = [];
    for (const pq of this.rebalance.queues.values()) {
      if (pq.dropped) continue;
      this.offsets.update(pq.mq, pq.commitOffset);
      mqs.push(pq.mq);
    }
    await this.offsets.persist(mqs, wait);
  }

  private every(ms: number, task: () => unknown): void {
    const t = setInterval(task, ms);
    t.unref();
    this.timers.push(t);
  }
}
