import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** GET_TOPICS_BY_CLUSTER: the topics of one cluster's brokers. */
export interface GetTopicsByClusterHeader {
  cluster: string;
}

export function encodeGetTopicsByClusterHeader(h: GetTopicsByClusterHeader): HeaderInput {
  return { cluster: h.cluster };
}

export function decodeGetTopicsByClusterHeader(ext: ExtFields): GetTopicsByClusterHeader {
  return { cluster: requiredString(ext, 'cluster') };
}
