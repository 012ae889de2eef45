import { encodeProperties, MessageConst } from '../message/properties.ts';
import { decodeRecallHandle, decodeRecallMessageHeader, isWriteable } from '../protocol/index.ts';
import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingConnection, type RemotingServer,
} from '../remoting/index.ts';
import { isStored, type MessageToStore } from '../store/message-store.ts';
import { timerKey } from '../timer/timer-messages.ts';
import type { BrokerContext } from './broker-context.ts';
import { peerHost, replicated } from './send-message-processor.ts';
import { applyTimer } from './timer-request.ts';

/** The tag RocketMQ gives its recall markers. */
const RECALL_TAG = '_RECALL_TAG_';

export function registerRecallProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor([RequestCode.RECALL_MESSAGE], (req, conn) => processRecall(ctx, req, conn));
}

/**
 * RECALL_MESSAGE, as RocketMQ 5.3+ answers it: the handle names a timer message (topic, broker, due time, UNIQ_KEY);
 * a marker carrying TIMER_DEL_UNIQKEY goes through the CommitLog into the same wheel slot, where it cancels the
 * message (a replica or a promoted master sees it too). A due time already passed means it was delivered: refused.
 */
async function processRecall(ctx: BrokerContext, req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> {
  const h = decodeRecallMessageHeader(req.extFields);
  const refuse = (code: number, remark: string) => new RequestRefusedError(code, remark);
  if (!ctx.config.recallMessageEnable) throw refuse(ResponseCode.NO_PERMISSION, 'recall failed, operation is forbidden (recallMessageEnable=false)');
  if (ctx.config.brokerRole === 'SLAVE') throw refuse(ResponseCode.SLAVE_NOT_AVAILABLE, 'recall failed, broker service not available');
  if (!isWriteable(ctx.config.brokerPermission)) throw refuse(ResponseCode.SERVICE_NOT_AVAILABLE, 'recall failed, broker service not available');
  if (!ctx.topics.select(h.topic)) throw refuse(ResponseCode.TOPIC_NOT_EXIST, `recall failed, the topic[${h.topic}] not exist`);
  const handle = decodeRecallHandle(h.recallHandle);
  if (handle instanceof Error) throw refuse(ResponseCode.ILLEGAL_OPERATION, handle.message);
  if (handle.topic !== h.topic) throw refuse(ResponseCode.ILLEGAL_OPERATION, 'recall failed, topic not match');
  if (handle.brokerName !== ctx.config.brokerName) throw refuse(ResponseCode.ILLEGAL_OPERATION, 'recall failed, broker service not available');
  const due = /^\d{1,16}$/.test(handle.timestamp) ? Number(handle.timestamp) : -1;
  const now = Date.now();
  if (due > 0 && (due <= now || ctx.timer.isDelivered(due))) {
    throw refuse(ResponseCode.ILLEGAL_OPERATION, `recall failed, timestamp invalid: the message was due at ${new Date(due).toISOString()} and has been delivered`);
  }
  if (due <= now || due - now >= ctx.config.timerMaxDelaySec * 1000) throw refuse(ResponseCode.ILLEGAL_OPERATION, 'recall failed, timestamp invalid');

  const props = new Map<string, string>([
    [MessageConst.TAGS, RECALL_TAG],
    [MessageConst.TIMER_DEL_UNIQKEY, timerKey(handle.topic, handle.messageId)],
    [MessageConst.TIMER_DELIVER_MS, String(due)],
    [MessageConst.UNIQ_KEY, handle.messageId],
  ]);
  if (h.producerGroup) props.set(MessageConst.PGROUP, h.producerGroup);
  const marker: MessageToStore = {
    topic: h.topic, queueId: 0, flag: 0, sysFlag: 0, bornTimestamp: now, bornHost: peerHost(conn), storeHost: ctx.storeHost,
    reconsumeTimes: 0, preparedTransactionOffset: 0, body: Buffer.from('0'), properties: encodeProperties(props),
  };
  applyTimer(marker, props, ctx.config, now);
  const result = await replicated(ctx, await ctx.store.putMessage(marker));
  if (!isStored(result.status)) throw refuse(ResponseCode.SYSTEM_ERROR, 'recall failed, execute error');
  // A recall racing the due time: the answer waits for the wheel, which knows whether the marker beat the slot.
  if (await ctx.timer.recallOutcome(result.queueOffset, 3000)) {
    throw refuse(ResponseCode.ILLEGAL_OPERATION, `recall failed, timestamp invalid: the message was due at ${new Date(due).toISOString()} and has been delivered`);
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, { msgId: handle.messageId });
}
