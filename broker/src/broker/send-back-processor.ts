import { MessageConst, encodeProperties } from '../message/properties.ts';
import { decodeConsumerSendBackHeader, isWriteable, newTopicConfig, dlqTopic, Perm } from '../protocol/index.ts';
import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer,
} from '../remoting/index.ts';
import type { MessageToStore } from '../store/message-store.ts';
import type { BrokerContext } from './broker-context.ts';
import { applyDelayLevel } from './schedule-message-service.ts';

/**
 * CONSUMER_SEND_MSG_BACK: a consumer failed a message. It goes to %RETRY%group with delay level 3 + reconsumeTimes
 * (10 s, 30 s, 1 m ...), or to %DLQ%group once it has been reconsumed maxReconsumeTimes (16) times.
 */
export function registerSendBackProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.CONSUMER_SEND_MSG_BACK, async (req) => {
    const h = decodeConsumerSendBackHeader(req.extFields, req.version);
    const { offset, group } = h;
    const groupConfig = ctx.groups.findOrCreate(group);
    if (!groupConfig) throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${group}`);
    if (!isWriteable(ctx.config.brokerPermission) || ctx.config.brokerRole === 'SLAVE') {
      throw new RequestRefusedError(ResponseCode.NO_PERMISSION, `the broker[${ctx.config.brokerName}] sending message is forbidden`);
    }
    if (groupConfig.retryQueueNums <= 0) return createResponse(req, ResponseCode.SUCCESS);

    const original = ctx.store.lookMessageByOffset(offset);
    if (!original) throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${offset}`);
    const props = new Map(original.properties);
    if (!props.has(MessageConst.RETRY_TOPIC)) props.set(MessageConst.RETRY_TOPIC, original.topic);
    props.delete(MessageConst.DELAY);

    const maxReconsumeTimes = h.maxReconsumeTimes ?? groupConfig.retryMaxTimes;
    let delayLevel = h.delayLevel ?? 0;
    let topic: string;
    let queueId: number;
    if (original.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0) {
      topic = dlqTopic(group);
      queueId = 0;
      if (!ctx.topics.select(topic)) ctx.topics.createOrUpdate(newTopicConfig(topic, { readQueueNums: 1, writeQueueNums: 1, perm: Perm.READ | Perm.WRITE }));
      props.set(MessageConst.DLQ_ORIGIN_TOPIC, props.get(MessageConst.RETRY_TOPIC) ?? original.topic);
      props.set(MessageConst.DLQ_ORIGIN_MESSAGE_ID, props.get(MessageConst.UNIQ_KEY) ?? original.msgId);
      ctx.log.info(`message ${original.msgId} of group ${group} reconsumed ${original.reconsumeTimes} times: moved to ${topic}`);
    } else {
      const retry = ctx.topics.createRetryTopicIfAbsent(group);
      topic = retry.topicName;
      queueId = Math.floor(Math.random() * Math.max(1, Math.min(groupConfig.retryQueueNums, retry.writeQueueNums)));
      if (delayLevel === 0) delayLevel = 3 + original.reconsumeTimes;
      props.set(MessageConst.DELAY, String(delayLevel));
    }
    if (!props.has(MessageConst.ORIGIN_MESSAGE_ID)) {
      props.set(MessageConst.ORIGIN_MESSAGE_ID, h.originMsgId ?? original.msgId);
    }
    const msg: MessageToStore = {
      topic, queueId, flag: original.flag, sysFlag: original.sysFlag, bornTimestamp: original.bornTimestamp,
      bornHost: original.bornHost, storeHost: ctx.storeHost, reconsumeTimes: original.reconsumeTimes + 1,
      preparedTransactionOffset: original.preparedTransactionOffset, body: Buffer.from(original.body),
      properties: encodeProperties(props),
    };
    applyDelayLevel(msg, props, ctx.schedule.maxLevel);
    const result = await ctx.store.putMessage(msg);
    if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') {
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `send back failed: ${result.status}`);
    }
    if (topic === dlqTopic(group)) ctx.metrics.sentToDlq(group, props.get(MessageConst.DLQ_ORIGIN_TOPIC)!);
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
