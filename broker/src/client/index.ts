/**
 * Tern's TypeScript client for RocketMQ-compatible brokers (Tern or Apache RocketMQ).
 *
 * - Producer: send (awaited), sendOneway, sendBatch, ordered sends with a queue selector or a sharding key,
 *   request-reply (request / reply).
 * - PushConsumer: clustering or broadcasting consumption with a listener or an async iterator; orderly
 *   consumption with queue locks (`orderly: true`).
 * - TransactionProducer: transactional messages with local-transaction and check-back callbacks.
 * - LitePullConsumer (poll, subscribe or assign, seek, commit) and the plain PullConsumer.
 * - Admin: topics and cluster information.
 */
export { Producer, selectQueueByHash } from './producer.ts';
export type { ProducerOptions, SendOptions, QueueSelector } from './producer.ts';
export { TransactionProducer } from './transaction-producer.ts';
export type {
  TransactionProducerOptions, TransactionListener, LocalTransactionState, HalfMessage, TransactionSendResult,
} from './transaction-producer.ts';
export type { ReplyMessage, ReplyContent } from './request-reply.ts';
export { SendStatus } from './send-result.ts';
export type { SendResult } from './send-result.ts';
export { PushConsumer } from './push-consumer.ts';
export type {
  PushConsumerOptions, ConsumeFrom, MessageModel, MessageListener, MessagesOptions,
} from './push-consumer.ts';
export { LitePullConsumer } from './lite-pull-consumer.ts';
export type { LitePullConsumerOptions } from './lite-pull-consumer.ts';
export { PullConsumer } from './pull-consumer.ts';
export type { PullConsumerOptions, PullResult, PullStatus, PullOptions } from './pull-consumer.ts';
export type { ReceivedMessage } from './received-message.ts';
export { decodePulledMessages } from './received-message.ts';
export { Admin } from './admin.ts';
export type { AdminOptions, CreateTopicOptions, BrokerSummary, QueueStatus, ConsumerProgress } from './admin.ts';
export { ClientError } from './client-error.ts';
export { ResponseCode } from '../remoting/codes.ts';
export type { ClientOptions } from './client-instance.ts';
export type { MessageQueue, QueueOffset } from './message-queue.ts';
export { allocateAveragely, allocateByCircle } from './allocate.ts';
export type { AllocateStrategy } from './allocate.ts';
export type { ExpressionType } from './subscription.ts';
export type { Message } from '../message/message.ts';
export { Perm } from '../protocol/index.ts';
export type { SessionCredentials } from '../protocol/request-signature.ts';
export type { BrokerData, ClusterInfo, QueueData, SubscriptionGroupConfig, TopicRouteData } from '../protocol/index.ts';
export type { Logger, LogFields } from '../logging/logger.ts';
export type { TlsClientSettings } from '../remoting/index.ts';
