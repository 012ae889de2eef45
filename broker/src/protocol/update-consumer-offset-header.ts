import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** UPDATE_CONSUMER_OFFSET: commit a group's offset of one queue (clients, and slaves copying the master's table). */
export interface UpdateConsumerOffsetHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  commitOffset: number;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

export function encodeUpdateConsumerOffsetHeader(h: UpdateConsumerOffsetHeader): HeaderInput {
  return { consumerGroup: h.consumerGroup, topic: h.topic, queueId: h.queueId, commitOffset: h.commitOffset, bname: h.brokerName };
}

export function decodeUpdateConsumerOffsetHeader(ext: ExtFields): UpdateConsumerOffsetHeader {
  return {
    consumerGroup: requiredString(ext, 'consumerGroup'),
    topic: requiredString(ext, 'topic'),
    queueId: requiredInt(ext, 'queueId'),
    commitOffset: requiredInt(ext, 'commitOffset'),
    brokerName: optionalString(ext, 'bname'),
  };
}
