import os from 'node:os';
import {
  decodeConsumerGroupHeader, decodeJson, decodeQueryConsumerOffsetHeader, decodeQueueOffsetHeader, decodeSearchOffsetHeader,
  decodeUpdateConsumerOffsetHeader, encodeJson, encodeOffsetResponseHeader, type MessageQueueData,
} from '../protocol/index.ts';
import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingServer,
} from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';
import type { RebalanceLockManager } from './rebalance-lock-manager.ts';

/** Consumer lists, committed offsets, and the queue offset lookups clients make when they take a queue. */
export function registerConsumerManageProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.GET_CONSUMER_LIST_BY_GROUP, (req) => {
    const group = decodeConsumerGroupHeader(req.extFields).consumerGroup;
    const ids = ctx.consumers.clientIds(group);
    if (ids.length === 0) throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${group}`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ consumerIdList: ids }));
  });

  server.registerProcessor(RequestCode.UPDATE_CONSUMER_OFFSET, (req) => {
    const h = decodeUpdateConsumerOffsetHeader(req.extFields);
    ctx.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.QUERY_CONSUMER_OFFSET, (req) => {
    const h = decodeQueryConsumerOffsetHeader(req.extFields);
    const { consumerGroup: group, topic, queueId } = h;
    const offset = ctx.offsets.query(group, topic, queueId);
    if (offset >= 0) return createResponse(req, ResponseCode.SUCCESS, undefined, encodeOffsetResponseHeader({ offset }));
    // A group new to this queue reads it from 0 if the queue still starts at 0 and its head is still
    // in memory, as RocketMQ does; otherwise the client decides from its consume-from setting.
    if (h.setZeroIfNotFound !== false && ctx.store.getMinOffsetInQueue(topic, queueId) <= 0 && headInMemory(ctx, topic, queueId)) {
      return createResponse(req, ResponseCode.SUCCESS, undefined, encodeOffsetResponseHeader({ offset: 0 }));
    }
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first');
  });

  // The 5.x `committed` flag is not read, as Apache RocketMQ 5.3's broker does not read it either: its answer is always
  // the dispatched (consumable) max offset, which is the only max offset this store has.
  server.registerProcessor(RequestCode.GET_MAX_OFFSET, (req) => {
    const h = decodeQueueOffsetHeader(req.extFields);
    return createResponse(req, ResponseCode.SUCCESS, undefined, encodeOffsetResponseHeader({ offset: ctx.store.getMaxOffsetInQueue(h.topic, h.queueId) }));
  });

  server.registerProcessor(RequestCode.GET_MIN_OFFSET, (req) => {
    const h = decodeQueueOffsetHeader(req.extFields);
    return createResponse(req, ResponseCode.SUCCESS, undefined, encodeOffsetResponseHeader({ offset: ctx.store.getMinOffsetInQueue(h.topic, h.queueId) }));
  });

  server.registerProcessor(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, (req) => {
    const h = decodeSearchOffsetHeader(req.extFields);
    const offset = ctx.store.getOffsetInQueueByTime(h.topic, h.queueId, h.timestamp, h.boundary);
    return createResponse(req, ResponseCode.SUCCESS, undefined, encodeOffsetResponseHeader({ offset }));
  });

  server.registerProcessor(RequestCode.GET_EARLIEST_MSG_STORETIME, (req) => {
    const h = decodeQueueOffsetHeader(req.extFields);
    const timestamp = ctx.store.getEarliestMessageTime(h.topic, h.queueId);
    return createResponse(req, ResponseCode.SUCCESS, undefined, { timestamp: timestamp ?? -1 });
  });

  server.registerProcessor(RequestCode.QUERY_BROKER_OFFSET, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, { offset: ctx.store.getCommitLogMaxOffset() }));

}

/** Is the queue's first message within the part of the CommitLog that fits in memory (40% of RAM)? */
function headInMemory(ctx: BrokerContext, topic: string, queueId: number): boolean {
  const first = ctx.store.getCommitLogOffsetInQueue(topic, queueId, 0);
  // An empty queue is "not found" (the client then applies its consume-from rule), as captured from Apache RocketMQ.
  if (first < 0) return false;
  return ctx.store.getCommitLogMaxOffset() - first <= os.totalmem() * 0.4;
}

interface LockBatchBody {
  consumerGroup: string;
  clientId: string;
  onlyThisBroker?: boolean;
  mqSet: MessageQueueData[];
}

/** LOCK_BATCH_MQ / UNLOCK_BATCH_MQ: orderly consumers lock their queues before consuming them. */
export function registerQueueLockProcessor(server: RemotingServer, locks: RebalanceLockManager): void {
  const body = (req: RemotingCommand): LockBatchBody => {
    const b = decodeJson<LockBatchBody>(req.body, 'lock batch body');
    if (!b.consumerGroup || !b.clientId || !Array.isArray(b.mqSet)) {
      throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, 'lock batch body needs consumerGroup, clientId and mqSet');
    }
    return b;
  };
  server.registerProcessor(RequestCode.LOCK_BATCH_MQ, (req) => {
    const b = body(req);
    const lockOKMQSet = locks.tryLockBatch(b.consumerGroup, b.mqSet, b.clientId);
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ lockOKMQSet }));
  });
  server.registerProcessor(RequestCode.UNLOCK_BATCH_MQ, (req) => {
    const b = body(req);
    locks.unlockBatch(b.consumerGroup, b.mqSet, b.clientId);
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
