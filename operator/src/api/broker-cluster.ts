/**
 * BrokerCluster: a Tern cluster of name servers and broker groups. Defaults follow RocketMQ's seed
 * deployment: one master with one slave per group, synchronous replication, asynchronous flush.
 */
import type {
  V1Affinity, V1ResourceRequirements, V1Toleration, V1TopologySpreadConstraint,
} from '@kubernetes/client-node';
import { conditionsField } from './conditions.ts';
import type { Resource } from './group.ts';
import * as s from './schema.ts';

/** broker.conf keys the operator derives from the spec; spec.brokerGroups.config may not set them. */
export const RESERVED_BROKER_KEYS = [
  'brokerClusterName', 'brokerName', 'brokerId', 'brokerRole', 'flushDiskType', 'namesrvAddr',
  'listenPort', 'haListenPort', 'storePathRootDir', 'storePathCommitLog', 'brokerIP1', 'bindAddress', 'brokerPermission',
  'enableDLegerCommitLog', 'dLegerGroup', 'dLegerPeers', 'dLegerSelfId',
] as const;

const resources = s.withDefault(s.embedded<V1ResourceRequirements>({
  description: 'Container resources (core/v1 ResourceRequirements).',
}), {});

export const brokerClusterSpecField = s.object({
  image: s.string({ minLength: 1, description: 'Tern image; its entrypoint is the `tern` command (namesrv, broker).' }),
  imagePullPolicy: s.withDefault(s.enumOf(['Always', 'IfNotPresent', 'Never']), 'IfNotPresent'),
  imagePullSecrets: s.optional(s.array(s.object({ name: s.string() }), { maxItems: 16 })),
  nameServer: s.withEmptyDefault(s.object({
    replicas: s.withDefault(s.integer({ minimum: 1, maximum: 9 }), 2),
    resources,
  }, { description: 'Name servers: a StatefulSet behind a headless Service; brokers reach them by stable DNS names.' })),
  brokerGroups: s.withEmptyDefault(s.object({
    count: s.withDefault(s.integer({
      minimum: 1, maximum: 64,
      description: 'Number of broker groups (brokerName <cluster>-<index>). Raising it adds groups; lowering it drains the highest groups first.',
    }), 1),
    replicasPerGroup: s.withDefault(s.integer({
      minimum: 1, maximum: 9, description: 'Brokers per group: one master (brokerId 0) plus slaves (brokerId 1..), or the members of a Raft group.',
    }), 2),
    mode: s.withDefault(s.enumOf(['MasterSlave', 'Raft'], {
      description: 'MasterSlave: a master (brokerId 0) and its slaves. Raft: each group is a DLedger group of replicasPerGroup '
        + 'members (>= 3) that elects its master; a send is acknowledged once a majority holds it, so replication does not apply.',
    }), 'MasterSlave'),
    replication: s.withDefault(s.enumOf(['Sync', 'Async'], { description: 'MasterSlave only. Sync: the master is a SYNC_MASTER; Async: ASYNC_MASTER.' }), 'Sync'),
    flushDiskType: s.withDefault(s.enumOf(['Async', 'Sync']), 'Async'),
    storage: s.withEmptyDefault(s.object({
      size: s.withDefault(s.quantity(), '10Gi'),
      storageClassName: s.optional(s.string()),
      ephemeral: s.withDefault(s.boolean({ description: 'Use an emptyDir instead of a PersistentVolumeClaim (tests, demos).' }), false),
    })),
    resources,
    config: s.withDefault(s.map(s.string({ maxLength: 512 }), {
      maxProperties: 64,
      description: 'Extra broker.conf entries (RocketMQ key names), e.g. maxMessageSize. Keys the operator derives are refused.',
      rules: [{
        rule: "self.all(k, !self[k].contains('\\n') && !self[k].contains('\\r'))",
        message: 'broker.conf values cannot hold line breaks',
      }, {
        rule: `!self.exists(k, k in [${RESERVED_BROKER_KEYS.map((k) => `'${k}'`).join(', ')}])`,
        message: `broker.conf keys derived by the operator cannot be overridden: ${RESERVED_BROKER_KEYS.join(', ')}`,
      }],
    }), {}),
  }, {
    rules: [{
      // has(): the API server also checks the rule against the bare default {}.
      rule: "!has(self.mode) || self.mode != 'Raft' || !has(self.replicasPerGroup) || self.replicasPerGroup >= 3",
      message: 'a Raft group needs replicasPerGroup >= 3 to survive the loss of one broker',
    }],
  })),
  pod: s.withEmptyDefault(s.object({
    affinity: s.optional(s.embedded<V1Affinity>()),
    tolerations: s.optional(s.array(s.embedded<V1Toleration>(), { maxItems: 64 })),
    topologySpreadConstraints: s.optional(s.array(s.embedded<V1TopologySpreadConstraint>(), { maxItems: 16 })),
    nodeSelector: s.optional(s.map(s.string())),
    priorityClassName: s.optional(s.string()),
    labels: s.withDefault(s.map(s.string()), {}),
    annotations: s.withDefault(s.map(s.string()), {}),
  }, { description: 'Overrides applied to every name server and broker pod.' })),
  externalAccess: s.withEmptyDefault(s.object({
    type: s.withDefault(s.enumOf(['None', 'LoadBalancer', 'NodePort'], {
      description: 'None: clients inside the cluster only. Otherwise one Service of this type per broker pod.',
    }), 'None'),
    brokers: s.withDefault(s.array(s.object({
      group: s.integer({ minimum: 0 }),
      brokerId: s.integer({ minimum: 0 }),
      advertisedAddress: s.string({ minLength: 1, description: 'Address put into routes as brokerIP1 (what outside clients dial).' }),
    }), { maxItems: 576, listType: 'map', mapKeys: ['group', 'brokerId'] }), []),
  }, {
    rules: [{ rule: "!has(self.type) || self.type != 'None' || !has(self.brokers) || size(self.brokers) == 0", message: 'advertised addresses need externalAccess.type LoadBalancer or NodePort' }],
  })),
  metrics: s.withEmptyDefault(s.object({
    enabled: s.withDefault(s.boolean(), false),
    port: s.withDefault(s.integer({ minimum: 1, maximum: 65535 }), 5557),
    serviceMonitor: s.withDefault(s.boolean({ description: 'Also create a prometheus-operator ServiceMonitor scraping /metrics (its CRD must exist).' }), false),
    podMonitor: s.withDefault(s.boolean({ description: 'Also create a prometheus-operator PodMonitor scraping /metrics on every pod (its CRD must exist).' }), false),
  })),
});

/** One member of a Raft group as its runtime info reports it (GET_BROKER_RUNTIME_INFO). */
const raftMemberStatusField = s.object({
  member: s.string({ description: 'dLegerSelfId: n<k> is pod ordinal k.' }),
  pod: s.string(),
  role: s.string({ description: 'leader, follower, candidate or preCandidate; Unreachable when the broker could not be asked.' }),
  term: s.optional(s.integer()),
  commitIndex: s.optional(s.integer()),
  appliedIndex: s.optional(s.integer()),
});

const groupStatusField = s.object({
  index: s.integer(),
  brokerName: s.string(),
  phase: s.enumOf(['Pending', 'Running', 'Updating', 'Draining', 'Drained']),
  readyReplicas: s.integer(),
  replicas: s.integer(),
  updatedReplicas: s.integer(),
  message: s.optional(s.string()),
  leader: s.optional(s.string({ description: 'Raft: the member that leads (registered as brokerId 0).' })),
  leaderPod: s.optional(s.string()),
  members: s.optional(s.array(raftMemberStatusField, { maxItems: 9, listType: 'map', mapKeys: ['member'] })),
});

export const brokerClusterStatusField = s.object({
  observedGeneration: s.optional(s.integer()),
  conditions: s.optional(conditionsField),
  phase: s.optional(s.enumOf(['Pending', 'Running', 'Updating', 'Draining', 'Degraded', 'Paused'])),
  nameServerAddress: s.optional(s.string({ description: 'The namesrvAddr clients use (semicolon separated).' })),
  readyBrokers: s.optional(s.integer()),
  brokerGroups: s.optional(s.array(groupStatusField, { listType: 'map', mapKeys: ['index'] })),
});

export type BrokerClusterSpec = s.Infer<typeof brokerClusterSpecField>;
export type BrokerClusterStatus = s.Infer<typeof brokerClusterStatusField>;
export type BrokerGroupStatus = s.Infer<typeof groupStatusField>;
export type RaftMemberStatus = s.Infer<typeof raftMemberStatusField>;
export type BrokerCluster = Resource<BrokerClusterSpec, BrokerClusterStatus>;

/** The spec as the API server stores it after structural defaulting. */
export function defaultBrokerClusterSpec(input: unknown): BrokerClusterSpec {
  return s.applyDefaults(brokerClusterSpecField, input);
}
