import {
  decodeGetConsumeStatsHeader, decodeResetOffsetHeader, decodeTopicHeader, encodeFastJson, encodeJson, encodeResetOffsetHeader, ObjectKeyMap,
  type MessageQueueData,
} from '../protocol/index.ts';
import {
  createRequest, createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer,
} from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/**
 * Per-queue figures for admin tools: topicStatus (GET_TOPIC_STATS_INFO), consumerProgress (GET_CONSUME_STATS),
 * resetOffsetByTime (INVOKE_BROKER_TO_RESET_OFFSET), and the offset tables slaves copy. Maps keyed by
 * MessageQueue are written in fastjson's object-key form, which is what the Java tools parse.
 */
export function registerStatsProcessor(server: RemotingServer, ctx: BrokerContext): void {
  const mq = (topic: string, queueId: number): MessageQueueData => ({ brokerName: ctx.config.brokerName, queueId, topic });
  const lastStoreTime = (topic: string, queueId: number, offset: number) =>
    offset > 0 ? Math.max(0, ctx.store.getMessageStoreTimeStamp(topic, queueId, offset - 1)) : 0;

  server.registerProcessor(RequestCode.GET_TOPIC_STATS_INFO, (req) => {
    const { topic } = decodeTopicHeader(req.extFields);
    const tc = ctx.topics.select(topic);
    if (!tc) throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    const offsetTable = new ObjectKeyMap<MessageQueueData, { minOffset: number; maxOffset: number; lastUpdateTimestamp: number }>();
    for (let q = 0; q < tc.writeQueueNums; q++) {
      const maxOffset = ctx.store.getMaxOffsetInQueue(topic, q);
      offsetTable.set(mq(topic, q), { minOffset: ctx.store.getMinOffsetInQueue(topic, q), maxOffset, lastUpdateTimestamp: lastStoreTime(topic, q, maxOffset) });
    }
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeFastJson({ offsetTable, topicPutTps: 0 }));
  });

  server.registerProcessor(RequestCode.GET_CONSUME_STATS, (req) => {
    const { consumerGroup: group, topic: only } = decodeGetConsumeStatsHeader(req.extFields);
    const topics = only ? [only] : [...new Set([...ctx.offsets.topicsOfGroup(group), ...(ctx.consumers.get(group)?.subscriptions.keys() ?? [])])];
    const offsetTable = new ObjectKeyMap<MessageQueueData, { brokerOffset: number; consumerOffset: number; pullOffset: number; lastTimestamp: number }>();
    for (const topic of topics) {
      const tc = ctx.topics.select(topic);
      if (!tc) continue;
      for (let q = 0; q < tc.readQueueNums; q++) {
        const committed = Math.max(0, ctx.offsets.query(group, topic, q));
        offsetTable.set(mq(topic, q), {
          brokerOffset: ctx.store.getMaxOffsetInQueue(topic, q), consumerOffset: committed, pullOffset: committed,
          lastTimestamp: lastStoreTime(topic, q, committed),
        });
      }
    }
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeFastJson({ consumeTps: 0, offsetTable }));
  });

  server.registerProcessor(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, (req) => {
    const { topic } = decodeTopicHeader(req.extFields);
    const groupList = [...new Set([...ctx.consumers.groupsOfTopic(topic), ...ctx.offsets.groupsOfTopic(topic)])].sort();
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ groupList }));
  });

  server.registerProcessor(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, (req) => {
    const h = decodeResetOffsetHeader(req.extFields);
    const { topic, group, timestamp, force } = h;
    const onlyQueue = h.queueId ?? -1;
    const tc = ctx.topics.select(topic);
    if (!tc) throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `[reset-offset] topic does not exist, ${topic}`);
    const offsetTable = new ObjectKeyMap<MessageQueueData, number>();
    // The Java admin's reset of one queue to a queue offset (resetOffsetByQueueId) names the offset; -1 means by time.
    const target = h.offset;
    const byOffset = onlyQueue >= 0 && target !== undefined && target !== -1;
    if (byOffset) {
      const min = ctx.store.getMinOffsetInQueue(topic, onlyQueue);
      const max = ctx.store.getMaxOffsetInQueue(topic, onlyQueue);
      // RocketMQ's range: the queue's min offset up to one past its max.
      if (target < min || target > max + 1) {
        throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `Target offset ${target} not in consume queue range [${min}-${max}]`);
      }
      // As in RocketMQ, an explicit offset is set whatever isForce says (its Java client sends isForce=false here).
      ctx.offsets.commit(group, topic, onlyQueue, target);
      offsetTable.set(mq(topic, onlyQueue), target);
    } else {
      for (let q = 0; q < tc.readQueueNums; q++) {
        if (onlyQueue >= 0 && q !== onlyQueue) continue;
        // -1 means "now": the end of the queue.
        const target = timestamp < 0 ? ctx.store.getMaxOffsetInQueue(topic, q) : ctx.store.getOffsetInQueueByTime(topic, q, timestamp);
        const current = ctx.offsets.query(group, topic, q);
        if (force || current < 0 || target < current) {
          ctx.offsets.commit(group, topic, q, target);
          offsetTable.set(mq(topic, q), target);
        }
      }
    }
    ctx.offsets.persist();
    const body = encodeFastJson({ offsetTable });
    const channels = [...(ctx.consumers.get(group)?.channels.values() ?? [])];
    for (const ch of channels) {
      ch.connection.invokeOneway(createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, encodeResetOffsetHeader({ topic, group, timestamp, force }), body));
    }
    ctx.log.info(`reset offsets of group ${group} on ${topic} to ${byOffset ? `offset ${target}` : `time ${timestamp}`}: ${offsetTable.entries.length} queues, ${channels.length} consumers told`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, body);
  });

  server.registerProcessor(RequestCode.GET_ALL_CONSUMER_OFFSET, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson(ctx.offsets.snapshot())));

  server.registerProcessor(RequestCode.GET_ALL_DELAY_OFFSET, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ offsetTable: ctx.schedule.offsetTable() })));
}
