/** Topic: a topic on every broker group of one BrokerCluster, kept in sync through the admin protocol. */
import { conditionsField } from './conditions.ts';
import type { Resource } from './group.ts';
import * as s from './schema.ts';

/** RocketMQ's topic name rule (TopicValidator): ^[%|a-zA-Z0-9_-]+$, at most 127 characters. */
export const TOPIC_NAME_PATTERN = '^[%|a-zA-Z0-9_-]+$';

export const clusterRefField = s.object({
  name: s.string({ minLength: 1, description: 'A BrokerCluster in the same namespace.' }),
}, { rules: [{ rule: 'self == oldSelf', message: 'clusterRef is immutable; create a new resource for another cluster' }] });

export const topicSpecField = s.object({
  clusterRef: clusterRefField,
  topicName: s.optional(s.string({
    pattern: TOPIC_NAME_PATTERN, maxLength: 127,
    description: 'Topic name on the brokers; defaults to metadata.name (which cannot hold "_" or upper case).',
    rules: [{ rule: 'self == oldSelf', message: 'topicName is immutable' }],
  })),
  readQueueNums: s.withDefault(s.integer({ minimum: 1, maximum: 1024 }), 8),
  writeQueueNums: s.withDefault(s.integer({ minimum: 1, maximum: 1024 }), 8),
  perm: s.withDefault(s.enumOf(['ReadWrite', 'ReadOnly', 'WriteOnly', 'Deny'], {
    description: 'Topic permission (PermName: ReadWrite 6, ReadOnly 4, WriteOnly 2, Deny 0).',
  }), 'ReadWrite'),
  order: s.withDefault(s.boolean({ description: 'An ordered topic (consumers lock queues).' }), false),
  messageType: s.withDefault(s.enumOf(['Normal', 'FIFO', 'Delay', 'Transaction'], {
    description: 'RocketMQ 5 message type, stored as the topic attribute +message.type.',
  }), 'Normal'),
}, {
  rules: [
    { rule: 'self.readQueueNums >= self.writeQueueNums', message: 'readQueueNums must be at least writeQueueNums (messages in unread queues would be lost)' },
    { rule: "self.messageType != 'FIFO' || self.order", message: 'messageType FIFO needs order: true' },
  ],
});

export const syncStatusField = s.object({
  observedGeneration: s.optional(s.integer()),
  conditions: s.optional(conditionsField),
  /** brokerName of every group the resource is on. */
  brokers: s.optional(s.array(s.string(), { listType: 'set' })),
  lastSyncTime: s.optional(s.string({ format: 'date-time' })),
});

export type TopicSpec = s.Infer<typeof topicSpecField>;
export type SyncStatus = s.Infer<typeof syncStatusField>;
export type Topic = Resource<TopicSpec, SyncStatus>;

export function defaultTopicSpec(input: unknown): TopicSpec {
  return s.applyDefaults(topicSpecField, input);
}

export const PERM_BITS: Record<TopicSpec['perm'], number> = { ReadWrite: 6, ReadOnly: 4, WriteOnly: 2, Deny: 0 };

/** The name on the brokers: spec.topicName, else metadata.name. */
export function topicNameOf(t: Pick<Topic, 'metadata' | 'spec'>): string {
  return t.spec.topicName ?? t.metadata.name;
}
