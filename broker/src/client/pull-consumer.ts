import { buildPullSysFlag } from '../message/sys-flag.ts';
import { ResponseCode } from '../remoting/index.ts';
import { ClientError } from './client-error.ts';
import { ClientInstance, type ClientOptions } from './client-instance.ts';
import type { MessageQueue } from './message-queue.ts';
import { decodePulledMessages, type ReceivedMessage } from './received-message.ts';
import { buildSubscription, matchesSubscription, type ExpressionType } from './subscription.ts';
import { subscribeQueues } from './topic-route.ts';

export interface PullConsumerOptions extends ClientOptions {
  group: string;
}

/** RocketMQ's PullStatus. */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

export interface PullResult {
  status: PullStatus;
  /** Where the next pull of this queue should start. */
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  msgs: ReceivedMessage[];
}

export interface PullOptions {
  /** Tag expression (`*`, `A || B`) or SQL92 where the broker allows it; default `*`. */
  expression?: string;
  expressionType?: ExpressionType;
  /** Most messages returned (32). */
  maxNums?: number;
  /** When nothing is there, let the broker hold the request this long for new messages (0: answer at once). */
  blockMs?: number;
}

/**
 * The plain pull consumer (RocketMQ's DefaultMQPullConsumer): the application picks queue and offset for each
 * pull and keeps its own progress; offsets can be stored on the broker with updateConsumeOffset. No
 * rebalancing, no background work.
 */
export class PullConsumer {
  readonly group: string;
  private readonly instance: ClientInstance;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: PullConsumerOptions) {
    if (!options.group) throw new ClientError('the consumer group name is empty');
    this.group = options.group;
    this.instance = new ClientInstance(options);
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new ClientError(`consumer ${this.group} was already started`);
    this.state = 'running';
    this.instance.start();
  }

  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    await this.instance.shutdown();
  }

  /** The readable queues of a topic. */
  async fetchSubscribeMessageQueues(topic: string): Promise<MessageQueue[]> {
    this.running();
    const route = await this.instance.refreshRoute(topic);
    if (!route) throw new ClientError(`topic ${topic} does not exist`);
    return subscribeQueues(topic, route);
  }

  /** Pulls from `offset` of `mq`; the subscription travels with the request, so no heartbeat is needed. */
  async pull(mq: MessageQueue, offset: number, options: PullOptions = {}): Promise<PullResult> {
    this.running();
    const sub = buildSubscription(mq.topic, options.expression ?? '*', options.expressionType ?? 'TAG');
    await this.instance.topicRoute(mq.topic);
    const broker = this.instance.requireMember(mq.brokerName);
    const blockMs = options.blockMs ?? 0;
    const r = await this.instance.api.pullMessage(broker, {
      consumerGroup: this.group,
      topic: mq.topic,
      queueId: mq.queueId,
      queueOffset: offset,
      maxMsgNums: options.maxNums ?? 32,
      sysFlag: buildPullSysFlag({ commitOffset: false, suspend: blockMs > 0, subscription: true }),
      commitOffset: 0,
      suspendTimeoutMillis: blockMs,
      subscription: sub.subString,
      subVersion: sub.subVersion,
      expressionType: sub.expressionType,
      brokerName: mq.brokerName,
    }, blockMs + this.instance.requestTimeoutMs);
    const base = { nextBeginOffset: r.nextBeginOffset, minOffset: r.minOffset, maxOffset: r.maxOffset };
    if (r.code === ResponseCode.PULL_OFFSET_MOVED) return { ...base, status: 'OFFSET_ILLEGAL', msgs: [] };
    if (r.code !== ResponseCode.SUCCESS) return { ...base, status: 'NO_NEW_MSG', msgs: [] };
    const msgs = (r.body ? decodePulledMessages(r.body, mq, r) : []).filter((m) => matchesSubscription(sub, m.tags));
    return { ...base, status: msgs.length > 0 ? 'FOUND' : 'NO_MATCHED_MSG', msgs };
  }

  /** Stores the group's offset of a queue on its broker. */
  async updateConsumeOffset(mq: MessageQueue, offset: number): Promise<void> {
    this.running();
    await this.instance.topicRoute(mq.topic);
    await this.instance.api.updateConsumerOffset(this.instance.requireMaster(mq.brokerName), this.group, mq, offset);
  }

  /** The group's stored offset of a queue, or -1 when there is none. */
  async fetchConsumeOffset(mq: MessageQueue): Promise<number> {
    this.running();
    await this.instance.topicRoute(mq.topic);
    return this.instance.api.queryConsumerOffset(this.instance.requireMember(mq.brokerName), this.group, mq);
  }

  async minOffset(mq: MessageQueue): Promise<number> {
    this.running();
    await this.instance.topicRoute(mq.topic);
    return this.instance.api.getMinOffset(this.instance.requireMember(mq.brokerName), mq);
  }

  async maxOffset(mq: MessageQueue): Promise<number> {
    this.running();
    await this.instance.topicRoute(mq.topic);
    return this.instance.api.getMaxOffset(this.instance.requireMember(mq.brokerName), mq);
  }

  /** The first offset whose message was stored at or after `timestamp` (ms). */
  async searchOffset(mq: MessageQueue, timestamp: number): Promise<number> {
    this.running();
    await this.instance.topicRoute(mq.topic);
    return this.instance.api.searchOffset(this.instance.requireMember(mq.brokerName), mq, timestamp);
  }

  private running(): void {
    if (this.state !== 'running') throw new ClientError(this.state === 'new' ? 'pull consumer is not started' : 'pull consumer is shut down');
  }
}
