import { MQVersion, type HeaderInput } from '../remoting/index.ts';
import { optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** CONSUMER_SEND_MSG_BACK: a consumer hands back a message it failed to consume, by its CommitLog offset. */
export interface ConsumerSendBackHeader {
  /** The message's CommitLog offset. */
  offset: number;
  group: string;
  /** 0 (or absent): the broker picks 3 + reconsumeTimes; negative: straight to the DLQ. */
  delayLevel?: number | undefined;
  originMsgId?: string | undefined;
  originTopic?: string | undefined;
  /** Absent, or sent by a client older than 3.4.9: the group's retryMaxTimes applies. */
  maxReconsumeTimes?: number | undefined;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

/** unitMode is always false: Tern has no unit (multi-tenant) mode, and its broker does not read the field. */
export function encodeConsumerSendBackHeader(h: ConsumerSendBackHeader): HeaderInput {
  return {
    offset: h.offset, group: h.group, delayLevel: h.delayLevel, originMsgId: h.originMsgId, originTopic: h.originTopic,
    unitMode: false, maxReconsumeTimes: h.maxReconsumeTimes, bname: h.brokerName,
  };
}

/** `version` is the request's: clients before 3.4.9 did not send maxReconsumeTimes, so it is not read from them. */
export function decodeConsumerSendBackHeader(ext: ExtFields, version: number): ConsumerSendBackHeader {
  return {
    offset: requiredInt(ext, 'offset'),
    group: requiredString(ext, 'group'),
    delayLevel: optionalInt(ext, 'delayLevel'),
    originMsgId: optionalString(ext, 'originMsgId'),
    originTopic: optionalString(ext, 'originTopic'),
    maxReconsumeTimes: version >= MQVersion.V3_4_9 ? optionalInt(ext, 'maxReconsumeTimes') : undefined,
    brokerName: optionalString(ext, 'bname'),
  };
}
