import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** The header of GET_CONSUMER_LIST_BY_GROUP, NOTIFY_CONSUMER_IDS_CHANGED and GET_CONSUMER_CONNECTION_LIST: one group name. */
export interface ConsumerGroupHeader {
  consumerGroup: string;
}

export function encodeConsumerGroupHeader(h: ConsumerGroupHeader): HeaderInput {
  return { consumerGroup: h.consumerGroup };
}

export function decodeConsumerGroupHeader(ext: ExtFields): ConsumerGroupHeader {
  return { consumerGroup: requiredString(ext, 'consumerGroup') };
}
