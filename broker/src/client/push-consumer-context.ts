import type { SubscriptionData } from '../protocol/index.ts';
import type { ClientInstance } from './client-instance.ts';
import type { OffsetStore } from './offset-store.ts';
import type { ResolvedPushConsumerOptions } from './push-consumer-options.ts';

/** What the PushConsumer shares with its rebalance, pull and consume services. */
export interface PushConsumerContext {
  readonly instance: ClientInstance;
  readonly group: string;
  readonly options: ResolvedPushConsumerOptions;
  readonly offsets: OffsetStore;
  /** Started and not yet shutting down. */
  isRunning(): boolean;
  /** Resolves after `ms`, or early when the consumer stops. */
  sleep(ms: number): Promise<void>;
  /** The subscribed topics, plus the group's retry topic in CLUSTERING. */
  topics(): string[];
  /** The subscription that applies to a topic (the retry topic's in CLUSTERING). */
  subscriptionOf(topic: string): SubscriptionData | undefined;
}
