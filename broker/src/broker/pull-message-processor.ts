import os from 'node:os';
import { readInt64BE } from '../message/int64.ts';
import { compileFilter, type MessageFilter } from '../filter/index.ts';
import { PullSysFlag } from '../message/sys-flag.ts';
import {
  decodePullMessageHeader, encodePullMessageResponseHeader, isReadable, type SubscriptionData, type SubscriptionGroupConfig,
} from '../protocol/index.ts';
import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingConnection,
  type RemotingServer,
} from '../remoting/index.ts';
import type { GetMessageResult } from '../store/message-store.ts';
import type { BrokerContext } from './broker-context.ts';
import type { HeldPull } from './pull-request-hold-service.ts';

export function registerPullProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor([RequestCode.PULL_MESSAGE, RequestCode.LITE_PULL_MESSAGE], (req, conn) => processPull(ctx, req, conn, true));
}

/** The compiled filter of a subscription; SQL92 only where the broker enables property filtering. */
export function subscriptionFilter(ctx: BrokerContext, expressionType: string, expression: string): MessageFilter {
  if (expressionType !== 'TAG' && expressionType !== 'SQL92') {
    throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `unknown expression type ${expressionType}`);
  }
  if (expressionType === 'SQL92' && !ctx.config.enablePropertyFilter) {
    throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, 'The broker does not support consumer to filter message by SQL92 (set enablePropertyFilter=true)');
  }
  try {
    return compileFilter(expressionType, expression);
  } catch (err) {
    throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `parse the consumer's subscription[${expression}] failed: ${(err as Error).message}`);
  }
}

/** Re-runs a held pull; used by the hold service on arrival, on timeout and at shutdown. */
export function reexecuteHeldPull(ctx: BrokerContext, pull: HeldPull): void {
  let response: RemotingCommand | undefined;
  try {
    response = processPull(ctx, pull.request, pull.connection, false);
  } catch (err) {
    const code = err instanceof RequestRefusedError ? err.responseCode : ResponseCode.SYSTEM_ERROR;
    response = createResponse(pull.request, code, (err as Error).message);
  }
  if (response) pull.connection.write(response);
}

/**
 * One pull. `firstProcessing` is false when a held pull is re-run: it may not be held again, and its
 * piggy-backed commit offset was already stored.
 */
export function processPull(
  ctx: BrokerContext, req: RemotingCommand, conn: RemotingConnection, firstProcessing: boolean,
): RemotingCommand | undefined {
  const h = decodePullMessageHeader(req.extFields);
  const { consumerGroup: group, topic, queueId, queueOffset, maxMsgNums, sysFlag, commitOffset, suspendTimeoutMillis, subVersion } = h;
  const hasSuspend = (sysFlag & PullSysFlag.SUSPEND) !== 0;
  const hasCommitOffset = (sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0;
  const hasSubscription = (sysFlag & PullSysFlag.SUBSCRIPTION) !== 0;

  if (!isReadable(ctx.config.brokerPermission)) {
    throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerName}] pulling message is forbidden`);
  }
  const groupConfig = ctx.groups.findOrCreate(group);
  if (!groupConfig) throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${group}] does not exist`);
  if (!groupConfig.consumeEnable) throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `subscription group no permission, ${group}`);
  const topicConfig = ctx.topics.select(topic);
  if (!topicConfig) throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
  if (!isReadable(topicConfig.perm)) throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the topic[${topic}] pulling message is forbidden`);
  if (queueId < 0 || queueId >= topicConfig.readQueueNums) {
    throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER,
      `queueId[${queueId}] is illegal, topic:[${topic}] topicConfig.readQueueNums:[${topicConfig.readQueueNums}] consumer:[${conn.remoteAddress}]`);
  }

  let expressionType: string;
  let expression: string;
  if (hasSubscription) {
    expression = h.subscription ?? '*';
    expressionType = h.expressionType ?? 'TAG';
  } else {
    const groupInfo = ctx.consumers.get(group);
    if (!groupInfo) {
      throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's group info not exist: ${group}`);
    }
    const sub = groupInfo.subscriptions.get(topic);
    if (!sub) throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_NOT_EXIST, `the consumer's subscription not exist: ${group} on ${topic}`);
    if (sub.subVersion < subVersion) {
      throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_NOT_LATEST, `the consumer's subscription not latest: ${group} on ${topic}`);
    }
    expressionType = sub.expressionType;
    expression = sub.subString;
  }
  const filter = subscriptionFilter(ctx, expressionType, expression);

  const result = ctx.store.getMessage(topic, queueId, queueOffset, maxMsgNums, (tagsCode) => filter.matchTagsCode(tagsCode),
    filter.needsProperties ? (props) => filter.matchProperties(props) : undefined);
  const header = encodePullMessageResponseHeader({
    nextBeginOffset: result.nextBeginOffset,
    minOffset: result.minOffset,
    maxOffset: result.maxOffset,
    suggestWhichBrokerId: suggestBroker(ctx, result, groupConfig),
    topicSysFlag: topicConfig.topicSysFlag,
    groupSysFlag: 0,
  });

  if (firstProcessing && hasCommitOffset && commitOffset >= 0 && ctx.config.brokerRole !== 'SLAVE') {
    ctx.offsets.commit(group, topic, queueId, commitOffset);
  }

  const code = pullResponseCode(result, queueOffset);
  if (code === ResponseCode.SUCCESS) {
    ctx.stats.pulledMessages += result.messageCount;
    ctx.metrics.messagesPulled(group, topic, queueId, result.messageCount, result.body.length, result.nextBeginOffset);
    return createResponse(req, code, 'FOUND', header, result.body);
  }
  if (code === ResponseCode.PULL_NOT_FOUND && firstProcessing && hasSuspend) {
    const holdMs = ctx.config.longPollingEnable ? suspendTimeoutMillis : ctx.config.shortPollingTimeMills;
    ctx.pullHold.hold({
      request: req, connection: conn, topic, queueId, pullFromOffset: queueOffset, deadline: Date.now() + holdMs,
      matches: (tagsCode, props) => filter.matchTagsCode(tagsCode) && (!filter.needsProperties || filter.matchProperties(props)),
    });
    return undefined;
  }
  return createResponse(req, code, result.status, header);
}

/**
 * With slaveReadEnable, a master sends consumers whose backlog no longer fits in memory (more than
 * accessMessageInMemoryMaxRatio % of RAM behind the log's end) to a slave, to spare its page cache.
 */
function suggestBroker(ctx: BrokerContext, result: GetMessageResult, group: SubscriptionGroupConfig): number {
  if (!ctx.config.slaveReadEnable || ctx.config.brokerRole === 'SLAVE') return 0;
  const last = result.messages.at(-1);
  if (!last) return group.brokerId;
  const behind = ctx.store.getCommitLogMaxOffset() - readInt64BE(last, 28);
  return behind > (os.totalmem() * ctx.config.accessMessageInMemoryMaxRatio) / 100 ? group.whichBrokerWhenConsumeSlowly : group.brokerId;
}

/** GetMessageStatus -> pull response code, as RocketMQ maps them (§6.7). */
function pullResponseCode(result: GetMessageResult, requestOffset: number): number {
  switch (result.status) {
    case 'FOUND': return ResponseCode.SUCCESS;
    case 'NO_MATCHED_MESSAGE':
    case 'MESSAGE_WAS_REMOVING': return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case 'NO_MESSAGE_IN_QUEUE':
    case 'NO_MATCHED_LOGIC_QUEUE': return requestOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_ONE':
    case 'OFFSET_FOUND_NULL': return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
    case 'OFFSET_RESET': return ResponseCode.PULL_OFFSET_MOVED;
    default: return ResponseCode.SYSTEM_ERROR;
  }
}
