import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** The header of GET_TOPIC_CONFIG, GET_TOPIC_STATS_INFO and QUERY_TOPIC_CONSUME_BY_WHO: one topic name. */
export interface TopicHeader {
  topic: string;
}

export function encodeTopicHeader(h: TopicHeader): HeaderInput {
  return { topic: h.topic };
}

export function decodeTopicHeader(ext: ExtFields): TopicHeader {
  return { topic: requiredString(ext, 'topic') };
}
