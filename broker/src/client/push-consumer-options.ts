import type { ClientOptions } from './client-instance.ts';
import type { AllocateStrategy } from './allocate.ts';
import type { ReceivedMessage } from './received-message.ts';

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
  /**
   * Orderly consumption (RocketMQ's MessageListenerOrderly): in CLUSTERING each queue is locked on its
   * broker before it is read (LOCK_BATCH_MQ, renewed every 20 s), one listener call at a time per queue,
   * and a failed batch is retried on the same queue after suspendCurrentQueueMs instead of going to the
   * retry topic. Needs a listener (onMessage).
   */
  orderly?: boolean;
  /** Orderly: pause of a queue after its listener failed (RocketMQ's suspendCurrentQueueTimeMillis, 1 s). */
  suspendCurrentQueueMs?: number;
  /**
   * Orderly, beyond RocketMQ: a message whose listener call failed this many times goes to the group's
   * dead-letter queue (%DLQ%group) so it cannot block its queue forever. 0 (default) retries forever, as RocketMQ.
   */
  orderlyDeadLetterAfter?: number;
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

/** The settings with every default applied, as the consumer's services read them. */
export type ResolvedPushConsumerOptions =
  Required<Omit<PushConsumerOptions, keyof ClientOptions | 'subscriptions' | 'offsetStoreDir' | 'allocateStrategy'>>;

export function resolvePushConsumerOptions(options: PushConsumerOptions): ResolvedPushConsumerOptions {
  return {
    group: options.group,
    messageModel: options.messageModel ?? 'CLUSTERING',
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
    orderly: options.orderly ?? false,
    suspendCurrentQueueMs: options.suspendCurrentQueueMs ?? 1_000,
    orderlyDeadLetterAfter: Math.max(0, options.orderlyDeadLetterAfter ?? 0),
  };
}
