import { decodeQueryMessageHeader, decodeViewMessageHeader } from '../protocol/index.ts';
import { createResponse, RequestCode, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/** QUERY_MESSAGE (by key or unique key, over a store-time range) and VIEW_MESSAGE_BY_ID (by CommitLog offset). */
export function registerQueryMessageProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.QUERY_MESSAGE, (req) => {
    const h = decodeQueryMessageHeader(req.extFields);
    const { topic, key, beginTimestamp: begin, endTimestamp: end } = h;
    // A unique key names one message (two if a producer retried): the broker caps the count itself.
    const maxNum = h.uniqueKeyQuery ? ctx.store.config.defaultQueryMaxNum : h.maxNum;
    const result = ctx.store.queryMessage(topic, key, maxNum, begin, end);
    const header = {
      indexLastUpdateTimestamp: result.indexLastUpdateTimestamp,
      indexLastUpdatePhyoffset: result.indexLastUpdatePhyoffset,
    };
    if (result.messages.length > 0) return createResponse(req, ResponseCode.SUCCESS, undefined, header, result.body);
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND,
      `no message with key "${key}" in topic ${topic} stored between ${begin} and ${end}; check the key and the time range`, header);
  });

  server.registerProcessor(RequestCode.VIEW_MESSAGE_BY_ID, (req) => {
    const { offset, topic } = decodeViewMessageHeader(req.extFields);
    const record = ctx.store.selectOneMessageByOffset(offset);
    if (record !== null && (topic === undefined || ctx.store.lookMessageByOffset(offset)?.topic === topic)) {
      return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, record);
    }
    return createResponse(req, ResponseCode.SYSTEM_ERROR,
      `no message at commit log offset ${offset}${topic !== undefined ? ` in topic ${topic}` : ''} (deleted by retention, or not an offset of this broker)`);
  });
}
