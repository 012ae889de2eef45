import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, optionalInt, optionalString, requiredString, type ExtFields } from './header-fields.ts';
import { Perm } from './route-data.ts';

export type TopicFilterType = 'SINGLE_TAG' | 'MULTI_TAG';

/** UPDATE_AND_CREATE_TOPIC; absent fields take the broker's defaults (16 queues each way, read+write). */
export interface CreateTopicHeader {
  topic: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  /** Anything but MULTI_TAG reads as SINGLE_TAG. */
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
}

/** What a sender must say; the filter type defaults to SINGLE_TAG and the sys flag to 0. */
export type CreateTopicRequest = Omit<CreateTopicHeader, 'topicFilterType' | 'topicSysFlag'> & Partial<CreateTopicHeader>;

/** defaultTopic is always TBW102: RocketMQ requires the field and Tern's broker does not read it. */
export function encodeCreateTopicHeader(h: CreateTopicRequest): HeaderInput {
  return {
    topic: h.topic, defaultTopic: 'TBW102', readQueueNums: h.readQueueNums, writeQueueNums: h.writeQueueNums,
    perm: h.perm, topicFilterType: h.topicFilterType ?? 'SINGLE_TAG', topicSysFlag: h.topicSysFlag ?? 0, order: h.order,
  };
}

export function decodeCreateTopicHeader(ext: ExtFields): CreateTopicHeader {
  return {
    topic: requiredString(ext, 'topic'),
    readQueueNums: optionalInt(ext, 'readQueueNums') ?? 16,
    writeQueueNums: optionalInt(ext, 'writeQueueNums') ?? 16,
    perm: optionalInt(ext, 'perm') ?? (Perm.READ | Perm.WRITE),
    topicFilterType: optionalString(ext, 'topicFilterType') === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG',
    topicSysFlag: optionalInt(ext, 'topicSysFlag') ?? 0,
    order: optionalBool(ext, 'order') ?? false,
  };
}
