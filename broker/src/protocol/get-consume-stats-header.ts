import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredString, type ExtFields } from './header-fields.ts';

/** GET_CONSUME_STATS (mqadmin consumerProgress): a group's progress on one topic, or on all it consumes. */
export interface GetConsumeStatsHeader {
  consumerGroup: string;
  topic?: string | undefined;
}

export function encodeGetConsumeStatsHeader(h: GetConsumeStatsHeader): HeaderInput {
  return { consumerGroup: h.consumerGroup, topic: h.topic };
}

export function decodeGetConsumeStatsHeader(ext: ExtFields): GetConsumeStatsHeader {
  return { consumerGroup: requiredString(ext, 'consumerGroup'), topic: optionalString(ext, 'topic') };
}
