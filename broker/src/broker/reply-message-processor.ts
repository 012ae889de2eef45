import { decodeProperties, encodeProperties, MessageConst } from '../message/properties.ts';
import { decodeSendHeader, encodeReplyMessageHeader, type SendMessageHeader } from '../protocol/index.ts';
import {
  createRequest, createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingConnection,
  type RemotingServer,
} from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';
import { processSend } from './send-message-processor.ts';

/** How long the requester gets to take a pushed reply. */
const PUSH_TIMEOUT_MS = 3_000;

/**
 * SEND_REPLY_MESSAGE / _V2 (request-reply): the reply is pushed to the requesting client named by REPLY_TO_CLIENT
 * (PUSH_REPLY_MESSAGE_TO_CLIENT, on its producer connection) and also stored in the reply topic like any send,
 * as RocketMQ does by default. A push that fails is answered SYSTEM_ERROR with the reason, the copy still stored.
 */
export function registerReplyProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor([RequestCode.SEND_REPLY_MESSAGE, RequestCode.SEND_REPLY_MESSAGE_V2], async (req, conn) => {
    const h = decodeSendHeader(req.code === RequestCode.SEND_REPLY_MESSAGE_V2, req.extFields);
    const props = decodeProperties(h.properties);
    const clientId = props.get(MessageConst.REPLY_TO_CLIENT);
    if (!clientId) throw new RequestRefusedError(ResponseCode.MESSAGE_ILLEGAL, 'the reply names no requester (property REPLY_TO_CLIENT)');
    const pushProblem = await pushReply(ctx, h, props, req.body, conn, clientId);
    const stored = await processSend(ctx, req, conn);
    if (pushProblem === undefined) return stored;
    ctx.log.warn(pushProblem);
    return createResponse(req, ResponseCode.SYSTEM_ERROR, pushProblem, stored.extFields);
  });
}

/** Undefined when the requester took the reply, else why not. */
async function pushReply(
  ctx: BrokerContext, h: SendMessageHeader, props: Map<string, string>, body: Buffer | undefined, replier: RemotingConnection, clientId: string,
): Promise<string | undefined> {
  const channel = ctx.producers.findChannel(clientId);
  if (!channel) return `push reply message fail, channel of <${clientId}> not found`;
  props.set(MessageConst.PUSH_REPLY_TIME, String(Date.now()));
  const request = createRequest(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, encodeReplyMessageHeader({
    producerGroup: h.producerGroup, topic: h.topic, defaultTopic: h.defaultTopic, defaultTopicQueueNums: h.defaultTopicQueueNums,
    queueId: h.queueId, sysFlag: h.sysFlag, bornTimestamp: h.bornTimestamp, flag: h.flag, properties: encodeProperties(props),
    reconsumeTimes: h.reconsumeTimes, unitMode: h.unitMode, bornHost: replier.remoteAddress,
    storeHost: `${ctx.storeHost.address}:${ctx.storeHost.port}`, storeTimestamp: Date.now(),
  }), body);
  let answer: RemotingCommand;
  try {
    answer = await channel.connection.invoke(request, PUSH_TIMEOUT_MS);
  } catch (err) {
    return `push reply message to ${clientId} (${channel.connection.remoteAddress}) failed: ${(err as Error).message}`;
  }
  if (answer.code !== ResponseCode.SUCCESS) return `push reply message to ${clientId} failed: ${answer.remark ?? `code ${answer.code}`}`;
  return undefined;
}
