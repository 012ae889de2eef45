import { decodeBatchBody } from '../message/batch-body.ts';
import { decodeProperties, encodeProperties, MessageConst } from '../message/properties.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import {
  decodeSendHeader, dlqTopic, encodeRecallHandle, encodeSendMessageResponseHeader, isWriteable, newTopicConfig, RETRY_GROUP_TOPIC_PREFIX, SystemTopic, validateTopicName,
  type SendMessageHeader, type TopicConfig,
} from '../protocol/index.ts';
import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingConnection,
  type RemotingServer,
} from '../remoting/index.ts';
import type { MessageToStore, PutMessageResult, PutMessagesResult } from '../store/message-store.ts';
import { isStored } from '../store/put-message-result.ts';
import type { MessageType } from './broker-metrics.ts';
import type { BrokerContext } from './broker-context.ts';
import { applyDelayLevel } from './schedule-message-service.ts';
import { applyTimer, refuseTimerInBatch } from './timer-request.ts';
import { TIMER_TOPIC } from '../timer/timer-messages.ts';

/** Topics producers may not write to directly. */
const NOT_SENDABLE = new Set<string>([
  SystemTopic.SCHEDULE, SystemTopic.TRANS_HALF, SystemTopic.TRANS_OP_HALF, SystemTopic.TRANS_CHECK_MAX_TIME,
  SystemTopic.SELF_TEST, SystemTopic.OFFSET_MOVED_EVENT, TIMER_TOPIC,
]);

const DEFAULT_MAX_RECONSUME_TIMES = 16;

export function registerSendProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor([RequestCode.SEND_MESSAGE, RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE], (req, conn) =>
    processSend(ctx, req, conn));
}

/** Stores one send (single or batch); also the storing half of SEND_REPLY_MESSAGE(_V2). */
export async function processSend(ctx: BrokerContext, req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> {
  const h = decodeSendHeader(req.code !== RequestCode.SEND_MESSAGE && req.code !== RequestCode.SEND_REPLY_MESSAGE, req.extFields);
  if (ctx.config.brokerRole === 'SLAVE') {
    throw new RequestRefusedError(ResponseCode.SERVICE_NOT_AVAILABLE, `the broker[${ctx.config.brokerName}] is a slave and refuses writes`);
  }
  if (!isWriteable(ctx.config.brokerPermission)) {
    throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerName}] sending message is forbidden`);
  }
  const invalid = validateTopicName(h.topic);
  if (invalid) throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `The specified topic is not allowed: ${invalid}`);
  if (NOT_SENDABLE.has(h.topic)) throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `Sending message to topic[${h.topic}] is forbidden.`);
  const prepared = transactionType(h.sysFlag) === MessageSysFlag.TRANSACTION_PREPARED_TYPE;
  if (prepared && ctx.config.rejectTransactionMessage) {
    throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerName}] sending transaction message is forbidden`);
  }

  const known = ctx.topics.select(h.topic) !== undefined;
  let topicConfig = resolveTopic(ctx, h);
  // A topic this send created is routable before the send is answered, as with RocketMQ: a consumer that
  // starts right after the producer finds its route.
  if (!known) await ctx.registerNow();
  if (!isWriteable(topicConfig.perm)) {
    throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the topic[${h.topic}] sending message is forbidden`);
  }
  let topic = h.topic;
  let queueId = h.queueId;
  const queueNums = Math.max(topicConfig.writeQueueNums, topicConfig.readQueueNums);
  if (queueId >= queueNums) {
    throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR,
      `request queueId[${queueId}] is illegal, topic[${topic}] has ${topicConfig.writeQueueNums} write queues, producer: ${conn.remoteAddress}`);
  }
  if (queueId < 0) queueId = Math.floor(Math.random() * topicConfig.writeQueueNums);

  const props = decodeProperties(h.properties);
  if (h.batch) {
    if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, 'batch request does not support retry group ' + topic);
    }
    if (prepared) throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, 'batch messages cannot be transactional');
    // RocketMQ's store refuses a batch carrying a delay level (MESSAGE_ILLEGAL); storing it would deliver at once.
    if (Number(props.get(MessageConst.DELAY) ?? 0) > 0) {
      throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, 'a batch cannot carry a delay level (DELAY): send delayed messages one by one');
    }
    return sendBatch(ctx, req, conn, h, topicConfig, queueId, props);
  }

  // A retry message that used up its retries goes to the group's dead-letter queue.
  let reconsumeTimes = h.reconsumeTimes;
  let deadLetterGroup: string | undefined;
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
    const max = h.maxReconsumeTimes ?? ctx.groups.find(topic.slice(RETRY_GROUP_TOPIC_PREFIX.length))?.retryMaxTimes ?? DEFAULT_MAX_RECONSUME_TIMES;
    if (reconsumeTimes > max) {
      const group = topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
      topic = dlqTopic(group);
      topicConfig = ctx.topics.select(topic) ?? createTopic(ctx, newTopicConfig(topic, { readQueueNums: 1, writeQueueNums: 1 }));
      queueId = 0;
      props.delete(MessageConst.DELAY);
      ctx.log.info(`message of group ${group} reconsumed ${reconsumeTimes} times (max ${max}): moved to ${topic}`);
      deadLetterGroup = group;
    }
  }
  stampBrokerProperties(ctx, props);
  const msg: MessageToStore = {
    topic, queueId, flag: h.flag, sysFlag: h.sysFlag, bornTimestamp: h.bornTimestamp,
    bornHost: peerHost(conn), storeHost: ctx.storeHost, reconsumeTimes, preparedTransactionOffset: 0,
    body: req.body ?? Buffer.alloc(0), properties: encodeProperties(props),
  };
  // A half message's timer applies at its commit (as RocketMQ's); it is checked now, on a copy, so a bad one is refused here.
  let timer = false;
  if (prepared) applyTimer({ ...msg }, new Map(props), ctx.config, Date.now());
  else if (!applyDelayLevel(msg, props, ctx.schedule.maxLevel)) timer = applyTimer(msg, props, ctx.config, Date.now());
  if (prepared) ctx.transactions.prepare(msg, props);
  const result = await replicated(ctx, await committed(ctx, timedPut(ctx, () => ctx.store.putMessage(msg))));
  if (isStored(result.status)) {
    ctx.metrics.messagesStored(topic, messageType(props, prepared), [msg.body.length]);
    if (deadLetterGroup !== undefined) ctx.metrics.sentToDlq(deadLetterGroup, props.get(MessageConst.RETRY_TOPIC) ?? h.topic);
  }
  const uniq = props.get(MessageConst.UNIQ_KEY);
  // A timer message's send answer carries the handle RECALL_MESSAGE takes, as RocketMQ 5.3+ answers.
  const recallHandle = timer && uniq ? encodeRecallHandle({
    topic, brokerName: ctx.config.brokerName, timestamp: props.get(MessageConst.TIMER_OUT_MS)!, messageId: uniq,
  }) : undefined;
  return sendResponse(req, ctx, result, h.queueId < 0 ? queueId : h.queueId, uniq, recallHandle);
}

async function sendBatch(
  ctx: BrokerContext, req: RemotingCommand, conn: RemotingConnection, h: SendMessageHeader, tc: TopicConfig, queueId: number,
  batchProps: Map<string, string>,
): Promise<RemotingCommand> {
  if (!req.body || req.body.length === 0) throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, 'batch body is empty');
  let items;
  try {
    items = decodeBatchBody(req.body);
  } catch (err) {
    throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, `batch body is malformed: ${(err as Error).message}`);
  }
  // Batch-level properties reach every inner message, except the batch's own UNIQ_KEY (each item has its own);
  // that one names the batch in the response, as Apache RocketMQ answers.
  const batchUniqKey = batchProps.get(MessageConst.UNIQ_KEY);
  batchProps.delete(MessageConst.UNIQ_KEY);
  stampBrokerProperties(ctx, batchProps);
  const bornHost = peerHost(conn);
  const now = Date.now();
  const msgs: MessageToStore[] = items.map((item, i) => {
    const props = decodeProperties(item.properties);
    for (const [k, v] of batchProps) if (!props.has(k)) props.set(k, v);
    // Nothing applies a delay level inside a batch, so no DELAY excuses a timer property here.
    refuseTimerInBatch(props, now, `message ${i} of the batch: `);
    // Apache stores such a message and delivers it at once (its check reads only the batch's own properties): refused
    // here instead, rather than accepting a delay level and ignoring it.
    if (Number(props.get(MessageConst.DELAY) ?? 0) > 0) {
      throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, `message ${i} of the batch carries a delay level (DELAY), which a batch cannot apply: send delayed messages one by one`);
    }
    return {
      topic: tc.topicName, queueId, flag: item.flag, sysFlag: h.sysFlag, bornTimestamp: h.bornTimestamp, bornHost,
      storeHost: ctx.storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0, body: item.body, properties: encodeProperties(props),
    };
  });
  const result = await replicated(ctx, await committed(ctx, timedPut(ctx, () => ctx.store.putMessages(msgs))));
  if (isStored(result.status)) ctx.metrics.messagesStored(tc.topicName, messageType(batchProps, false), msgs.map((m) => m.body.length));
  return sendResponse(req, ctx, result, queueId, batchUniqKey);
}

async function timedPut<R>(ctx: BrokerContext, put: () => Promise<R>): Promise<R> {
  const started = performance.now();
  const result = await put();
  ctx.metrics.appendTook((performance.now() - started) / 1000);
  return result;
}

/** RocketMQ 5's message_type, from what the producer asked for. */
function messageType(props: Map<string, string>, prepared: boolean): MessageType {
  if (prepared) return 'Transaction';
  if (Number(props.get(MessageConst.DELAY) ?? 0) > 0 || props.has(MessageConst.TIMER_DELIVER_MS)) return 'Delay';
  if (props.has(MessageConst.SHARDING_KEY)) return 'FIFO';
  return 'Normal';
}

/** What the broker adds to every message it stores: its cluster, region and trace switch, as RocketMQ does. */
function stampBrokerProperties(ctx: BrokerContext, props: Map<string, string>): void {
  props.set(MessageConst.CLUSTER, ctx.config.brokerClusterName);
  props.set(MessageConst.MSG_REGION, 'DefaultRegion');
  props.set(MessageConst.TRACE_ON, 'true');
}

function sendResponse(
  req: RemotingCommand, ctx: BrokerContext, result: PutMessageResult | PutMessagesResult, queueId: number, uniqKey: string | undefined,
  recallHandle?: string,
): RemotingCommand {
  const code = putStatusToResponseCode(result.status);
  // These four mean "stored": clients count them as sent.
  if (code !== ResponseCode.SUCCESS && code !== ResponseCode.FLUSH_DISK_TIMEOUT && code !== ResponseCode.FLUSH_SLAVE_TIMEOUT
    && code !== ResponseCode.SLAVE_NOT_AVAILABLE) {
    throw new RequestRefusedError(code, result.remark ?? `put message failed: ${result.status}`);
  }
  return createResponse(req, code, undefined, encodeSendMessageResponseHeader({
    msgId: 'msgIds' in result ? result.msgIds.join(',') : result.msgId,
    queueId,
    queueOffset: result.queueOffset,
    transactionId: uniqKey,
    recallHandle,
  }));
}

/**
 * A Raft leader's put settles once a majority holds it; without a majority (partitioned away) the sender is told
 * within syncFlushTimeout and retries elsewhere. The write may still commit later: at-least-once, as RocketMQ.
 */
async function committed<R>(ctx: BrokerContext, put: Promise<R>): Promise<R> {
  if (!ctx.raft) return put;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestRefusedError(ResponseCode.SERVICE_NOT_AVAILABLE,
      `the broker[${ctx.config.brokerName}] could not commit the message to a majority of its Raft group within ${ctx.config.syncFlushTimeout} ms`)),
    ctx.config.syncFlushTimeout);
  });
  try {
    return await Promise.race([put, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A SYNC_MASTER answers only once a slave holds the bytes (or says why not, in RocketMQ's "sent but not safe" codes). */
export async function replicated<R extends PutMessageResult | PutMessagesResult>(ctx: BrokerContext, result: R): Promise<R> {
  if (ctx.config.brokerRole !== 'SYNC_MASTER' || !ctx.haMaster) return result;
  if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') return result;
  const outcome = await ctx.haMaster.waitForReplica(result.wroteOffset + result.wroteBytes, ctx.config.syncFlushTimeout);
  return outcome === 'OK' ? result : { ...result, status: outcome };
}

function putStatusToResponseCode(status: PutMessageResult['status']): number {
  switch (status) {
    case 'PUT_OK': return ResponseCode.SUCCESS;
    case 'FLUSH_DISK_TIMEOUT': return ResponseCode.FLUSH_DISK_TIMEOUT;
    case 'FLUSH_SLAVE_TIMEOUT': return ResponseCode.FLUSH_SLAVE_TIMEOUT;
    case 'SLAVE_NOT_AVAILABLE': return ResponseCode.SLAVE_NOT_AVAILABLE;
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED': return ResponseCode.MESSAGE_ILLEGAL;
    case 'SERVICE_NOT_AVAILABLE': return ResponseCode.SERVICE_NOT_AVAILABLE;
    case 'OS_PAGE_CACHE_BUSY': return ResponseCode.SYSTEM_BUSY;
    default: return ResponseCode.SYSTEM_ERROR;
  }
}

function resolveTopic(ctx: BrokerContext, h: SendMessageHeader): TopicConfig {
  const existing = ctx.topics.select(h.topic);
  if (existing) return existing;
  if (h.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return ctx.topics.createRetryTopicIfAbsent(h.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length));
  const created = ctx.topics.createTopicInSendMessage(h.topic, h.defaultTopic, h.defaultTopicQueueNums, 0);
  if (!created) {
    throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please!`);
  }
  return created;
}

function createTopic(ctx: BrokerContext, tc: TopicConfig): TopicConfig {
  ctx.topics.createOrUpdate(tc);
  return tc;
}

export function peerHost(conn: RemotingConnection): { address: string; port: number } {
  return { address: (conn.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''), port: conn.socket.remotePort ?? 0 };
}
