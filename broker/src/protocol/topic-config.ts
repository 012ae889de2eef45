import { Perm } from './route-data.ts';

/** A topic as a broker holds it (TopicConfig JSON, field names as in Java). */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

export function newTopicConfig(topicName: string, init: Partial<TopicConfig> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: 16,
    writeQueueNums: 16,
    perm: Perm.READ | Perm.WRITE,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
    attributes: {},
    ...init,
  };
}

export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

export function newDataVersion(): DataVersion {
  return { counter: 0, stateVersion: 0, timestamp: Date.now() };
}

export function sameDataVersion(a: DataVersion | undefined, b: DataVersion | undefined): boolean {
  return !!a && !!b && a.counter === b.counter && a.timestamp === b.timestamp && a.stateVersion === b.stateVersion;
}

/** Body of REGISTER_BROKER and of GET_ALL_TOPIC_CONFIG. */
export interface TopicConfigSerializeWrapper {
  topicConfigTable: Record<string, TopicConfig>;
  dataVersion: DataVersion;
}

export interface RegisterBrokerBody {
  topicConfigSerializeWrapper: TopicConfigSerializeWrapper;
  filterServerList: string[];
}

/** Topic name rule of RocketMQ: ^[%|a-zA-Z0-9_-]+$, at most 127 characters (retry/DLQ topics up to 255). */
export function validateTopicName(topic: string): string | undefined {
  if (!topic) return 'the topic name is empty';
  if (!/^[%|a-zA-Z0-9_-]+$/.test(topic)) return `the topic name "${topic}" contains characters other than %|a-zA-Z0-9_-`;
  const limit = topic.startsWith('%RETRY%') || topic.startsWith('%DLQ%') ? 255 : 127;
  if (topic.length > limit) return `the topic name is longer than ${limit} characters`;
  return undefined;
}

export const SystemTopic = {
  AUTO_CREATE_TOPIC_KEY: 'TBW102',
  SELF_TEST: 'SELF_TEST_TOPIC',
  BENCHMARK: 'BenchmarkTest',
  OFFSET_MOVED_EVENT: 'OFFSET_MOVED_EVENT',
  SCHEDULE: 'SCHEDULE_TOPIC_XXXX',
  /** RocketMQ 5's topic holding timer messages until due (queue 0). */
  TIMER: 'rmq_sys_wheel_timer',
  TRANS_HALF: 'RMQ_SYS_TRANS_HALF_TOPIC',
  TRANS_OP_HALF: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  TRANS_CHECK_MAX_TIME: 'TRANS_CHECK_MAX_TIME_TOPIC',
} as const;

export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export function retryTopic(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}
export function dlqTopic(group: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + group;
}
