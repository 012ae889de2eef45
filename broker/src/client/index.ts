/**
 * Tern's TypeScript client for RocketMQ-compatible brokers (Tern or Apache RocketMQ).
 *
 * - Producer: send (awaited), sendOneway, sendBatch, ordered sends with a queue selector.
 * - PushConsumer: clustering or broadcasting consumption with a listener or an async iterator.
 * - Admin: topics and cluster information.
 */
export { Producer, selectQueueByHash } from './producer.ts';
export type { ProducerOptions, SendOptions, QueueSelector } from './producer.ts';
export { SendStatus } from './send-result.ts';
export type { SendResult } from './send-result.ts';
export { PushConsumer } from './push-consumer.ts';
export type {
  PushConsumerOptions, ConsumeFrom, MessageModel, MessageListener, MessagesOptions,
} from './push-consumer.ts';
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
export type { TlsClientSettings } from '../remoting/index.ts';
