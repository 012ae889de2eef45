import { optionalString, requiredInt, requiredString } from '../protocol/index.ts';
import { createResponse, RequestCode, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/** extFields flag of a QUERY_MESSAGE looking up a UNIQ_KEY (client message id) rather than a KEYS token. */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/** Java's Long.MAX_VALUE as clients send it for "no upper bound"; any larger value means the same to us. */
const NO_END = Number.MAX_SAFE_INTEGER;

/** QUERY_MESSAGE (by key or unique key, over a store-time range) and VIEW_MESSAGE_BY_ID (by CommitLog offset). */
export function registerQueryMessageProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.QUERY_MESSAGE, (req) => {
    const ext = req.extFields;
    const topic = requiredString(ext, 'topic');
    const key = requiredString(ext, 'key');
    let maxNum = requiredInt(ext, 'maxNum');
    const begin = requiredInt(ext, 'beginTimestamp');
    const end = Math.min(requiredInt(ext, 'endTimestamp'), NO_END);
    // A unique key names one message (two if a producer retried): the broker caps the count itself.
    if (optionalString(ext, UNIQUE_MSG_QUERY_FLAG) === 'true') maxNum = ctx.store.config.defaultQueryMaxNum;
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
    const offset = requiredInt(req.extFields, 'offset');
    const topic = optionalString(req.extFields, 'topic');
    const record = ctx.store.selectOneMessageByOffset(offset);
    if (record !== null && (topic === undefined || ctx.store.lookMessageByOffset(offset)?.topic === topic)) {
      return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, record);
    }
    return createResponse(req, ResponseCode.SYSTEM_ERROR,
      `no message at commit log offset ${offset}${topic !== undefined ? ` in topic ${topic}` : ''} (deleted by retention, or not an offset of this broker)`);
  });
}
