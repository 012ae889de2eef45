import { setTimeout as delay } from 'node:timers/promises';
import { deflateSync } from 'node:zlib';
import { encodeBatchBody, type BatchItem } from '../message/batch-body.ts';
import { javaStringHash } from '../message/java-string-hash.ts';
import type { Message } from '../message/message.ts';
import { messageProperties } from '../message/message.ts';
import { createUniqId } from '../message/message-id.ts';
import { encodeProperties, MAX_PROPERTIES_BYTES, MessageConst } from '../message/properties.ts';
import { MessageSysFlag } from '../message/sys-flag.ts';
import { ResponseCode } from '../remoting/index.ts';
import { decodeRecallHandle, RETRY_GROUP_TOPIC_PREFIX, SystemTopic, validateTopicName, type TopicRouteData } from '../protocol/index.ts';
import { ClientError, isNetworkError } from './client-error.ts';
import { ClientInstance, type ClientOptions } from './client-instance.ts';
import type { SendHeader, SendResponse } from './client-api.ts';
import { DEFAULT_LATENCY_FAULT_TABLE, FaultIsolation } from './fault-isolation.ts';
import type { MessageQueue } from './message-queue.ts';
import { SendStatus, type SendResult } from './send-result.ts';
import { MASTER_ID, publishQueues, routeFromTemplate } from './topic-route.ts';
import type { ReceivedMessage } from './received-message.ts';
import {
  createReplyMessage, decodePushedReply, PendingRequests, REPLY_MESSAGE_TYPE, requestProperties, type ReplyContent, type ReplyMessage,
} from './request-reply.ts';

export interface ProducerOptions extends ClientOptions {
  /** Producer group (RocketMQ's producerGroup); default `DEFAULT_PRODUCER`. */
  group?: string;
  /** Budget of one send, all retries included (RocketMQ's sendMsgTimeout, 3000 ms). */
  sendTimeoutMs?: number;
  /** Extra attempts, each on another broker when there is one, after a retryable failure (2). */
  retryTimesWhenSendFailed?: number;
  /** Bodies larger than this are zlib-compressed (4096; 0 disables compression). */
  compressOverBytes?: number;
  /** Largest body accepted (4 MiB). */
  maxMessageSize?: number;
  /** Queue count for topics the broker creates on first send from the TBW102 template (4). */
  defaultTopicQueueNums?: number;
  /** How long a broker whose connection failed is avoided (30 s). */
  faultIsolationMs?: number;
  /**
   * Also avoid brokers that answer slowly (RocketMQ's sendLatencyFaultEnable; default false): a send that took
   * latencyMaxMs[i] or more makes its broker avoided for notAvailableDurationMs[i].
   */
  sendLatencyFaultEnable?: boolean;
  /** Latency buckets, ascending (RocketMQ's: 50, 100, 550, 1000, 2000, 3000, 15000 ms). */
  latencyMaxMs?: number[];
  /** Avoidance per bucket (RocketMQ's: 0, 0, 30 s, 1 min, 2 min, 3 min, 10 min). */
  notAvailableDurationMs?: number[];
}

/** Picks the queue for one send; used for ordered messages (same key, same queue). */
export type QueueSelector = (queues: readonly MessageQueue[], msg: Message) => MessageQueue;

export interface SendOptions {
  /** Send to exactly this queue (no retry on another broker). */
  queue?: MessageQueue;
  /** Choose the queue from the topic's writable queues (no retry on another broker). */
  selector?: QueueSelector;
  /**
   * Ordered messages: messages with the same key go to the same queue (selectQueueByHash of the key), so an
   * orderly consumer sees them in send order. No retry on another broker.
   */
  shardingKey?: string;
  /** Overrides the producer's sendTimeoutMs. */
  timeoutMs?: number;
  /** Deliver at this time (epoch ms or a Date), not before: a timer message (TIMER_DELIVER_MS). */
  deliverAt?: number | Date;
  /** Deliver this many ms after the broker stores it: a timer message (TIMER_DELAY_MS). */
  delayMs?: number;
}

/** The message with the timer property `options` ask for (deliverAt or delayMs, not both). */
function withTimer(msg: Message, options: Pick<SendOptions, 'deliverAt' | 'delayMs'>): Message {
  const { deliverAt, delayMs } = options;
  if (deliverAt === undefined && delayMs === undefined) return msg;
  if (deliverAt !== undefined && delayMs !== undefined) throw new ClientError('give deliverAt or delayMs, not both');
  const [key, value] = deliverAt !== undefined
    ? [MessageConst.TIMER_DELIVER_MS, deliverAt instanceof Date ? deliverAt.getTime() : deliverAt]
    : [MessageConst.TIMER_DELAY_MS, delayMs!];
  if (!Number.isSafeInteger(value) || value < 0) throw new ClientError(`${deliverAt !== undefined ? 'deliverAt' : 'delayMs'} must be a whole number of ms >= 0, got ${String(value)}`);
  return { ...msg, properties: new Map([...(msg.properties ?? []), [key, String(value)]]) };
}

/**
 * A selector that maps a key to a fixed queue the way RocketMQ's SelectMessageQueueByHash does
 * (Java String.hashCode modulo the queue count), so Java and Tern producers agree on the queue.
 */
export function selectQueueByHash(key: string): QueueSelector {
  return (queues) => {
    if (queues.length === 0) throw new ClientError('no queue to select from');
    return queues[Math.abs(javaStringHash(key) % queues.length)]!;
  };
}

/** Broker answers after which Java producers try again elsewhere (§2.2). */
const RETRYABLE_CODES = new Set<number>([
  ResponseCode.TOPIC_NOT_EXIST, ResponseCode.SERVICE_NOT_AVAILABLE, ResponseCode.SYSTEM_ERROR, ResponseCode.SYSTEM_BUSY,
  ResponseCode.NO_PERMISSION, 204 /* NO_BUYER_ID */, 205 /* NOT_IN_CURRENT_UNIT */, ResponseCode.GO_AWAY,
]);

const STATUS_BY_CODE: Record<number, SendStatus> = {
  [ResponseCode.SUCCESS]: SendStatus.SEND_OK,
  [ResponseCode.FLUSH_DISK_TIMEOUT]: SendStatus.FLUSH_DISK_TIMEOUT,
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: SendStatus.FLUSH_SLAVE_TIMEOUT,
  [ResponseCode.SLAVE_NOT_AVAILABLE]: SendStatus.SLAVE_NOT_AVAILABLE,
};

/** A message encoded once, ready to go to any queue. */
export interface PreparedSend {
  topic: string;
  body: Buffer;
  sysFlag: number;
  flag: number;
  properties: string;
  uniqIds: string[];
  batch: boolean;
  /** A reply of request-reply (MSG_TYPE=reply): sent with SEND_REPLY_MESSAGE_V2. */
  reply: boolean;
}

interface PublishInfo {
  route: TopicRouteData;
  queues: MessageQueue[];
  next: number;
}

/** How often a send re-reads the route while its topic has no master (during a failover). */
const NO_MASTER_RETRY_MS = 100;

/** Every broker of the topic is without a master right now; a send retries within its deadline. */
class NoWritableQueueError extends ClientError {}

const BATCH_PROPERTIES = encodeProperties(new Map([[MessageConst.WAIT, 'true']]));

/**
 * Sends messages to a topic: picks a queue round-robin over the writable queues of the topic's route,
 * retries retryable failures on another broker, and gives every message a UNIQ_KEY.
 *
 * ```ts
 * const producer = new Producer({ namesrvAddr: '127.0.0.1:9876', group: 'orders' });
 * await producer.start();
 * const r = await producer.send({ topic: 'T', body: Buffer.from('hi'), tags: 'A', keys: ['k1'] });
 * await producer.shutdown();
 * ```
 */
export class Producer {
  readonly group: string;
  protected readonly instance: ClientInstance;
  private readonly sendTimeoutMs: number;
  private readonly attempts: number;
  private readonly compressOverBytes: number;
  private readonly maxMessageSize: number;
  private readonly defaultTopicQueueNums: number;
  private readonly faults: FaultIsolation;
  private readonly publishInfos = new Map<string, PublishInfo>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly routeCheckedAt = new Map<string, number>();
  private readonly routeLoads = new Map<string, Promise<TopicRouteData>>();
  private readonly pendingRequests = new PendingRequests();
  /** Masters that have had our heartbeat since a request needed it (else they could not push its reply). */
  private readonly introducedTo = new Set<string>();
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopped: Promise<void> | undefined;

  constructor(options: ProducerOptions) {
    this.group = options.group ?? 'DEFAULT_PRODUCER';
    this.instance = new ClientInstance({ ...options, logger: options.logger });
    this.sendTimeoutMs = options.sendTimeoutMs ?? 3000;
    this.attempts = 1 + Math.max(0, options.retryTimesWhenSendFailed ?? 2);
    this.compressOverBytes = options.compressOverBytes ?? 4096;
    this.maxMessageSize = options.maxMessageSize ?? 4 * 1024 * 1024;
    this.defaultTopicQueueNums = options.defaultTopicQueueNums ?? 4;
    this.faults = new FaultIsolation(options.faultIsolationMs ?? 30_000, options.sendLatencyFaultEnable ? {
      latencyMaxMs: options.latencyMaxMs ?? DEFAULT_LATENCY_FAULT_TABLE.latencyMaxMs,
      notAvailableMs: options.notAvailableDurationMs ?? DEFAULT_LATENCY_FAULT_TABLE.notAvailableMs,
    } : undefined);
    this.instance.onReplyMessage = (req) => {
      const reply = decodePushedReply(req);
      if (!this.pendingRequests.complete(reply)) this.instance.log.warn(`reply ${reply.correlationId} matches no waiting request (timed out?)`);
    };
  }

  get clientId(): string {
    return this.instance.clientId;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new ClientError(`producer ${this.group} was already started`);
    this.instance.registerProducer(this.group);
    this.instance.start();
    this.state = 'running';
  }

  /** Waits for sends in flight, unregisters from the brokers and closes the connections. */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      this.state = 'stopped';
      await Promise.allSettled([...this.inFlight]);
      this.pendingRequests.failAll(new ClientError('producer is shut down'));
      await this.instance.shutdown();
    })();
    return this.stopped;
  }

  /** Writable queues of a topic (fetching its route if needed). */
  async fetchPublishQueues(topic: string): Promise<MessageQueue[]> {
    return [...(await this.publishInfo(topic)).queues];
  }

  /**
   * Sends one message and resolves once the broker stored it (SendResult), or rejects with a
   * ClientError after the retries. Concurrent calls are fine: that is how to send asynchronously.
   */
  send(msg: Message, options: SendOptions = {}): Promise<SendResult> {
    return this.track(async () => {
      const prepared = this.prepareSingle(withTimer(msg, options));
      return this.sendPrepared(prepared, msg, options);
    });
  }

  /**
   * Sends several messages of one topic in one request (SEND_BATCH_MESSAGE); the broker stores them
   * as consecutive entries of one queue. The result's msgId lists their UNIQ_KEYs, comma-joined.
   */
  sendBatch(msgs: readonly Message[], options: SendOptions = {}): Promise<SendResult> {
    return this.track(async () => {
      // A batch is stored in one queue: its messages cannot wait in the timer topic.
      if (options.deliverAt !== undefined || options.delayMs !== undefined) throw new ClientError('a batch cannot be delayed: send timer messages one by one');
      const prepared = this.prepareBatch(msgs);
      return this.sendPrepared(prepared, msgs[0]!, options);
    });
  }

  /**
   * Cancels a timer message not yet delivered (RECALL_MESSAGE), given the recallHandle its send returned. Rejects
   * with the broker's answer when it was already delivered or the handle is not valid.
   */
  recall(recallHandle: string): Promise<string> {
    return this.track(async () => {
      const handle = decodeRecallHandle(recallHandle);
      if (handle instanceof Error) throw new ClientError(handle.message);
      await this.publishInfo(handle.topic);
      const broker = this.instance.requireMaster(handle.brokerName);
      return this.instance.api.recallMessage(broker, { topic: handle.topic, recallHandle, producerGroup: this.group, bname: handle.brokerName });
    });
  }

  /** Writes the message to a broker without waiting for an answer: fastest, and no delivery guarantee. */
  sendOneway(msg: Message, options: Omit<SendOptions, 'timeoutMs'> = {}): Promise<void> {
    return this.track(async () => {
      const prepared = this.prepareSingle(withTimer(msg, options));
      const info = await this.publishInfo(prepared.topic);
      const mq = this.chooseExplicit(info, msg, options) ?? this.selectQueue(info, undefined);
      const broker = this.instance.requireMaster(mq.brokerName);
      await this.instance.api.sendMessageOneway(broker, this.header(prepared, mq), prepared.body, prepared.reply);
    });
  }

  /**
   * Request-reply: sends `msg` as a request and resolves with the reply a responder sent with reply(), or rejects
   * with a ClientError after `timeoutMs` (sending included). The broker pushes the reply to this producer.
   */
  request(msg: Message, timeoutMs = this.sendTimeoutMs): Promise<ReplyMessage> {
    return this.track(async () => {
      const { correlationId, properties } = requestProperties(this.instance.clientId, timeoutMs);
      const prepared = this.prepareSingle(msg, { properties, sysFlag: 0 });
      const started = Date.now();
      const left = () => Math.max(1, timeoutMs - (Date.now() - started));
      await this.introduceTo((await this.publishInfo(prepared.topic)).route);
      const reply = this.pendingRequests.wait(correlationId, left());
      // The caller awaits `reply` only after the send; until then a timeout must not count as unhandled.
      reply.catch(() => {});
      try {
        await this.sendPrepared(prepared, msg, { timeoutMs: left() });
      } catch (err) {
        this.pendingRequests.fail(correlationId, err as Error);
      }
      return reply;
    });
  }

  /** Heartbeats (once) to the masters of a route: a broker pushes a reply only to clients it knows. */
  private async introduceTo(route: TopicRouteData): Promise<void> {
    const masters = route.brokerDatas.map((bd) => bd.brokerAddrs[MASTER_ID]).filter((a): a is string => !!a && !this.introducedTo.has(a));
    if (masters.length === 0) return;
    await this.instance.heartbeatTo(masters);
    for (const a of masters) this.introducedTo.add(a);
  }

  /**
   * Answers a request received by a consumer (see request()): the reply goes to the reply topic of the
   * request's cluster on the broker that stored the request, which the requester is known to.
   */
  reply(request: ReceivedMessage, content: ReplyContent, options: Pick<SendOptions, 'timeoutMs'> = {}): Promise<SendResult> {
    const msg = createReplyMessage(request, content);
    return this.send(msg, { ...options, queue: { topic: msg.topic, brokerName: request.brokerName, queueId: 0 } });
  }

  protected track<T>(work: () => Promise<T>): Promise<T> {
    if (this.state !== 'running') {
      return Promise.reject(new ClientError(this.state === 'new' ? 'producer is not started' : 'producer is shut down'));
    }
    const p = work();
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  protected async sendPrepared(prepared: PreparedSend, msg: Message, options: SendOptions): Promise<SendResult> {
    const deadline = Date.now() + (options.timeoutMs ?? this.sendTimeoutMs);
    let info = await this.publishInfoWithin(prepared.topic, deadline);
    const explicit = this.chooseExplicit(info, msg, options);
    const attempts = explicit ? 1 : this.attempts;
    let lastBroker: string | undefined;
    let lastAddr: string | undefined;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (attempt > 0) info = await this.publishInfoWithin(prepared.topic, deadline);
      const mq = explicit ?? this.selectQueue(info, lastBroker);
      // The only choice is the broker that just failed: wait (within the deadline) for its master to change, as in a
      // Raft group's failover or handoff, rather than spend the attempt on the same address.
      if (lastAddr !== undefined && mq.brokerName === lastBroker) await this.awaitMasterChange(prepared.topic, mq.brokerName, lastAddr, deadline);
      const began = performance.now();
      try {
        const broker = this.instance.requireMaster(mq.brokerName);
        lastAddr = broker;
        const response = await this.instance.api.sendMessage(broker, this.header(prepared, mq), prepared.body, remaining, prepared.reply);
        this.faults.recovered(mq.brokerName, performance.now() - began);
        return this.result(prepared, mq, response);
      } catch (err) {
        const latencyMs = performance.now() - began;
        lastError = err;
        lastBroker = mq.brokerName;
        // The route may be stale (a topic created a moment ago still served from the TBW102 template,
        // a queue count changed): look again before the next attempt or the next send.
        await this.refreshStaleRoute(prepared.topic);
        if (isNetworkError(err)) {
          this.faults.isolate(mq.brokerName);
        } else {
          this.faults.refused(mq.brokerName, latencyMs);
          if (!(err instanceof ClientError && err.responseCode !== undefined && RETRYABLE_CODES.has(err.responseCode))) throw err;
        }
        this.instance.log.debug(`send to ${mq.brokerName}/${mq.queueId} failed (attempt ${attempt + 1}): ${(err as Error).message}`);
      }
    }
    if (lastError === undefined) {
      throw new ClientError(`send to ${prepared.topic} timed out after ${options.timeoutMs ?? this.sendTimeoutMs} ms`);
    }
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ClientError(`send to ${prepared.topic} failed: ${why}`, {
      cause: lastError,
      responseCode: lastError instanceof ClientError ? lastError.responseCode : undefined,
      address: lastError instanceof ClientError ? lastError.address : undefined,
    });
  }

  private async loadRoute(topic: string): Promise<TopicRouteData> {
    this.instance.watchTopic(topic);
    const route = await this.instance.refreshRoute(topic);
    if (route) return route;
    const template = await this.instance.refreshRoute(SystemTopic.AUTO_CREATE_TOPIC_KEY);
    if (!template) throw new ClientError(`topic ${topic} does not exist and the cluster does not create topics automatically`);
    const fromTemplate = routeFromTemplate(template, this.defaultTopicQueueNums);
    this.instance.setRoute(topic, fromTemplate);
    return fromTemplate;
  }

  /**
   * The topic's writable queues, waiting within the send's deadline while no broker of the topic has a master (a
   * failover: the namesrv dropped the old master and the new one has not registered yet), re-reading the route.
   */
  private async publishInfoWithin(topic: string, deadline: number): Promise<PublishInfo> {
    for (;;) {
      try {
        return await this.publishInfo(topic);
      } catch (err) {
        if (!(err instanceof NoWritableQueueError) || Date.now() + NO_MASTER_RETRY_MS >= deadline) throw err;
      }
      await delay(NO_MASTER_RETRY_MS);
      await this.instance.refreshRoute(topic).catch(() => undefined);
    }
  }

  /** Re-reads the route until `brokerName`'s master is no longer `failedAddr`, or little of the deadline is left. */
  private async awaitMasterChange(topic: string, brokerName: string, failedAddr: string, deadline: number): Promise<void> {
    // Leave the last third of what remains for the attempt itself.
    const until = Date.now() + (deadline - Date.now()) * 2 / 3;
    while (Date.now() + NO_MASTER_RETRY_MS < until) {
      const master = this.instance.masterAddress(brokerName);
      if (master !== undefined && master !== failedAddr) return;
      await delay(NO_MASTER_RETRY_MS);
      await this.instance.refreshRoute(topic).catch(() => undefined);
    }
  }

  /** Re-reads a topic's route after a failed send, at most once a second per topic. */
  private async refreshStaleRoute(topic: string): Promise<void> {
    const now = Date.now();
    if ((this.routeCheckedAt.get(topic) ?? 0) > now - 1000) return;
    this.routeCheckedAt.set(topic, now);
    await this.instance.refreshRoute(topic).catch(() => undefined);
  }

  private chooseExplicit(info: PublishInfo, msg: Message, options: SendOptions): MessageQueue | undefined {
    if (options.queue) {
      if (options.queue.topic !== msg.topic) throw new ClientError(`queue ${options.queue.topic}/${options.queue.queueId} is not of topic ${msg.topic}`);
      return options.queue;
    }
    if (options.selector && options.shardingKey !== undefined) throw new ClientError('give either a selector or a shardingKey, not both');
    const selector = options.selector ?? (options.shardingKey !== undefined ? selectQueueByHash(options.shardingKey) : undefined);
    if (selector) {
      const mq = selector(info.queues, msg);
      if (!mq) throw new ClientError(`the queue selector chose no queue of ${msg.topic}`);
      return mq;
    }
    return undefined;
  }

  /** Round robin over the writable queues, skipping the broker that just failed and isolated ones. */
  private selectQueue(info: PublishInfo, avoidBroker: string | undefined): MessageQueue {
    const queues = info.queues;
    const n = queues.length;
    for (let i = 0; i < n; i++) {
      const mq = queues[info.next++ % n]!;
      if (mq.brokerName !== avoidBroker && this.faults.isAvailable(mq.brokerName)) return mq;
    }
    for (let i = 0; i < n; i++) {
      const mq = queues[info.next++ % n]!;
      if (mq.brokerName !== avoidBroker) return mq;
    }
    return queues[info.next++ % n]!;
  }

  /**
   * The topic's writable queues. An unknown topic falls back to the TBW102 template route with queue
   * counts capped at defaultTopicQueueNums: the broker then creates the topic on first send.
   */
  private async publishInfo(topic: string): Promise<PublishInfo> {
    let route = this.instance.cachedRoute(topic);
    if (!route) {
      let loading = this.routeLoads.get(topic);
      if (!loading) {
        loading = this.loadRoute(topic).finally(() => this.routeLoads.delete(topic));
        this.routeLoads.set(topic, loading);
      }
      route = await loading;
    }
    let info = this.publishInfos.get(topic);
    if (!info || info.route !== route) {
      let queues = publishQueues(topic, route);
      if (queues.length === 0) {
        // The cached route may predate a permission change (a drained broker writable again): look once more.
        await this.refreshStaleRoute(topic);
        route = this.instance.cachedRoute(topic) ?? route;
        queues = publishQueues(topic, route);
      }
      if (queues.length === 0) throw new NoWritableQueueError(`topic ${topic} has no writable queue on any broker with a master`);
      info = { route, queues, next: info?.next ?? Math.floor(Math.random() * queues.length) };
      this.publishInfos.set(topic, info);
    }
    return info;
  }

  private validateTopic(topic: string): void {
    const problem = validateTopicName(topic);
    if (problem) throw new ClientError(problem);
    if (topic === SystemTopic.AUTO_CREATE_TOPIC_KEY) throw new ClientError(`${topic} is a system topic and cannot take messages`);
  }

  private bodyOf(msg: Message): Buffer {
    const body = msg.body as Buffer | string | Uint8Array | undefined;
    if (body === undefined || body === null || body.length === 0) throw new ClientError('the message body is empty');
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (buf.length > this.maxMessageSize) {
      throw new ClientError(`the message body is ${buf.length} bytes, more than the ${this.maxMessageSize} allowed`);
    }
    return buf;
  }

  /** `extra` adds system properties and sys flags (a transaction's half message). */
  protected prepareSingle(msg: Message, extra?: { properties: Record<string, string>; sysFlag: number }): PreparedSend {
    this.validateTopic(msg.topic);
    let body = this.bodyOf(msg);
    const props = messageProperties(msg);
    for (const [k, v] of Object.entries(extra?.properties ?? {})) props.set(k, v);
    let uniq = props.get(MessageConst.UNIQ_KEY);
    if (!uniq) {
      uniq = createUniqId();
      props.set(MessageConst.UNIQ_KEY, uniq);
    }
    const properties = encodeProperties(props);
    if (Buffer.byteLength(properties, 'utf8') > MAX_PROPERTIES_BYTES) throw new ClientError(`the message properties exceed ${MAX_PROPERTIES_BYTES} bytes`);
    let sysFlag = extra?.sysFlag ?? 0;
    if (this.compressOverBytes > 0 && body.length > this.compressOverBytes) {
      body = deflateSync(body, { level: 5 });
      sysFlag |= MessageSysFlag.COMPRESSED_FLAG;
    }
    const reply = props.get(MessageConst.MSG_TYPE) === REPLY_MESSAGE_TYPE;
    return { topic: msg.topic, body, sysFlag, flag: msg.flag ?? 0, properties, uniqIds: [uniq], batch: false, reply };
  }

  private prepareBatch(msgs: readonly Message[]): PreparedSend {
    if (msgs.length === 0) throw new ClientError('a batch needs at least one message');
    const topic = msgs[0]!.topic;
    this.validateTopic(topic);
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) throw new ClientError('a batch cannot go to a retry topic');
    const items: BatchItem[] = [];
    const uniqIds: string[] = [];
    let total = 0;
    for (const msg of msgs) {
      if (msg.topic !== topic) throw new ClientError(`all messages of a batch must share one topic (${topic} and ${msg.topic})`);
      if (msg.delayTimeLevel !== undefined && msg.delayTimeLevel > 0) throw new ClientError('a batch cannot hold delayed messages');
      const body = this.bodyOf(msg);
      const props = messageProperties(msg);
      let uniq = props.get(MessageConst.UNIQ_KEY);
      if (!uniq) {
        uniq = createUniqId();
        props.set(MessageConst.UNIQ_KEY, uniq);
      }
      uniqIds.push(uniq);
      items.push({ flag: msg.flag ?? 0, body, properties: encodeProperties(props) });
      total += body.length;
    }
    if (total > this.maxMessageSize) throw new ClientError(`the batch is ${total} bytes, more than the ${this.maxMessageSize} allowed`);
    let body: Buffer;
    try {
      body = encodeBatchBody(items);
    } catch (err) {
      throw new ClientError((err as Error).message);
    }
    return { topic, body, sysFlag: 0, flag: 0, properties: BATCH_PROPERTIES, uniqIds, batch: true, reply: false };
  }

  private header(p: PreparedSend, mq: MessageQueue): SendHeader {
    return {
      producerGroup: this.group,
      topic: p.topic,
      defaultTopic: SystemTopic.AUTO_CREATE_TOPIC_KEY,
      defaultTopicQueueNums: this.defaultTopicQueueNums,
      queueId: mq.queueId,
      sysFlag: p.sysFlag,
      bornTimestamp: Date.now(),
      flag: p.flag,
      properties: p.properties,
      reconsumeTimes: 0,
      unitMode: false,
      batch: p.batch,
      brokerName: mq.brokerName,
    };
  }

  private result(p: PreparedSend, mq: MessageQueue, r: SendResponse): SendResult {
    const result: SendResult = {
      status: STATUS_BY_CODE[r.code] ?? SendStatus.SEND_OK,
      msgId: p.uniqIds.join(','),
      offsetMsgId: r.offsetMsgId,
      messageQueue: { topic: mq.topic, brokerName: mq.brokerName, queueId: r.queueId },
      queueOffset: r.queueOffset,
    };
    if (r.transactionId !== undefined) result.transactionId = r.transactionId;
    if (r.regionId !== undefined) result.regionId = r.regionId;
    if (r.recallHandle !== undefined) result.recallHandle = r.recallHandle;
    return result;
  }
}
