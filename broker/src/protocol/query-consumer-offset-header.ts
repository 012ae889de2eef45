import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** QUERY_CONSUMER_OFFSET: a group's committed offset of one queue. */
export interface QueryConsumerOffsetHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  /** Absent means true: a group new to a queue whose head is in memory starts at 0. */
  setZeroIfNotFound?: boolean | undefined;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

export function encodeQueryConsumerOffsetHeader(h: QueryConsumerOffsetHeader): HeaderInput {
  return { consumerGroup: h.consumerGroup, topic: h.topic, queueId: h.queueId, setZeroIfNotFound: h.setZeroIfNotFound, bname: h.brokerName };
}

export function decodeQueryConsumerOffsetHeader(ext: ExtFields): QueryConsumerOffsetHeader {
  return {
    consumerGroup: requiredString(ext, 'consumerGroup'),
    topic: requiredString(ext, 'topic'),
    queueId: requiredInt(ext, 'queueId'),
    setZeroIfNotFound: optionalBool(ext, 'setZeroIfNotFound'),
    brokerName: optionalString(ext, 'bname'),
  };
}
