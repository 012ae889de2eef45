import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/**
 * The one header of GET_MAX_OFFSET, GET_MIN_OFFSET and GET_EARLIEST_MSG_STORETIME (three identical classes in
 * RocketMQ): which queue to look at.
 */
export interface QueueOffsetHeader {
  topic: string;
  queueId: number;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

export function encodeQueueOffsetHeader(h: QueueOffsetHeader): HeaderInput {
  return { topic: h.topic, queueId: h.queueId, bname: h.brokerName };
}

export function decodeQueueOffsetHeader(ext: ExtFields): QueueOffsetHeader {
  return { topic: requiredString(ext, 'topic'), queueId: requiredInt(ext, 'queueId'), brokerName: optionalString(ext, 'bname') };
}
