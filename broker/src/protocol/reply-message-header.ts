import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/**
 * PUSH_REPLY_MESSAGE_TO_CLIENT (broker -> requester): the reply's send header plus where and when it was
 * born and stored; the body is the reply's body.
 */
export interface ReplyMessageHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  /** "ip:port" */
  bornHost: string;
  /** "ip:port" */
  storeHost: string;
  storeTimestamp: number;
}

export function encodeReplyMessageHeader(h: ReplyMessageHeader): HeaderInput {
  return { ...h };
}

export function decodeReplyMessageHeader(ext: ExtFields): ReplyMessageHeader {
  return {
    producerGroup: requiredString(ext, 'producerGroup'),
    topic: requiredString(ext, 'topic'),
    defaultTopic: optionalString(ext, 'defaultTopic') ?? '',
    defaultTopicQueueNums: optionalInt(ext, 'defaultTopicQueueNums') ?? 0,
    queueId: requiredInt(ext, 'queueId'),
    sysFlag: optionalInt(ext, 'sysFlag') ?? 0,
    bornTimestamp: optionalInt(ext, 'bornTimestamp') ?? 0,
    flag: optionalInt(ext, 'flag') ?? 0,
    properties: optionalString(ext, 'properties') ?? '',
    reconsumeTimes: optionalInt(ext, 'reconsumeTimes') ?? 0,
    unitMode: optionalBool(ext, 'unitMode') ?? false,
    bornHost: optionalString(ext, 'bornHost') ?? '',
    storeHost: optionalString(ext, 'storeHost') ?? '',
    storeTimestamp: optionalInt(ext, 'storeTimestamp') ?? 0,
  };
}
