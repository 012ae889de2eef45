/** ConsumerGroup: a subscription group on every broker group of one BrokerCluster. */
import type { Resource } from './group.ts';
import * as s from './schema.ts';
import { clusterRefField, syncStatusField, TOPIC_NAME_PATTERN, type SyncStatus } from './topic.ts';

export const consumerGroupSpecField = s.object({
  clusterRef: clusterRefField,
  groupName: s.optional(s.string({
    pattern: TOPIC_NAME_PATTERN, maxLength: 120,
    description: 'Group name on the brokers; defaults to metadata.name.',
    rules: [{ rule: 'self == oldSelf', message: 'groupName is immutable' }],
  })),
  retryMaxTimes: s.withDefault(s.integer({ minimum: 0, maximum: 64, description: 'Redeliveries before a message goes to %DLQ%<group>.' }), 16),
  broadcast: s.withDefault(s.boolean({ description: 'Broadcasting consumption: every member reads every message.' }), false),
  consumeEnabled: s.withDefault(s.boolean({ description: 'false stops the group from pulling (an emergency brake).' }), true),
  consumeFromMinEnabled: s.withDefault(s.boolean(), true),
});

export type ConsumerGroupSpec = s.Infer<typeof consumerGroupSpecField>;
export type ConsumerGroup = Resource<ConsumerGroupSpec, SyncStatus>;

export function defaultConsumerGroupSpec(input: unknown): ConsumerGroupSpec {
  return s.applyDefaults(consumerGroupSpecField, input);
}

export function groupNameOf(g: Pick<ConsumerGroup, 'metadata' | 'spec'>): string {
  return g.spec.groupName ?? g.metadata.name;
}
