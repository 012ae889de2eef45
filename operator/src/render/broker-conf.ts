/**
 * broker.conf for each broker of a group, under RocketMQ's key names as Tern's broker reads them
 * (broker/src/broker/broker-config.ts). A render test checks every key against the broker's spec.
 */
import { createHash } from 'node:crypto';
import type { BrokerClusterSpec } from '../api/broker-cluster.ts';
import {
  BROKER_PORT, brokerName, brokerPodName, groupServiceName, HA_PORT, namesrvAddress, RAFT_PORT, STORE_MOUNT, type ClusterRef,
} from './names.ts';

/** Read-only: PermName READ (4). Written into a draining group so it takes no new messages. */
export const READ_ONLY_PERMISSION = 4;

export interface BrokerConfInput {
  cluster: ClusterRef;
  spec: BrokerClusterSpec;
  group: number;
  brokerId: number;
  /** The group is being scaled in: writes are refused until it is empty. */
  draining: boolean;
}

/** Ordered key/value pairs of one broker's broker.conf. */
export function brokerConfEntries(input: BrokerConfInput): Array<[string, string]> {
  const { cluster, spec, group, brokerId } = input;
  const g = spec.brokerGroups;
  const raft = g.mode === 'Raft';
  const entries: Array<[string, string]> = [
    ['brokerClusterName', cluster.name],
    ['brokerName', brokerName(cluster, group)],
  ];
  if (!raft) {
    entries.push(['brokerId', String(brokerId)]);
    entries.push(['brokerRole', brokerId === 0 ? (g.replication === 'Sync' ? 'SYNC_MASTER' : 'ASYNC_MASTER') : 'SLAVE']);
  }
  entries.push(
    ['flushDiskType', g.flushDiskType === 'Sync' ? 'SYNC_FLUSH' : 'ASYNC_FLUSH'],
    ['namesrvAddr', namesrvAddress(cluster, spec.nameServer.replicas)],
    ['listenPort', String(BROKER_PORT)],
    ['haListenPort', String(HA_PORT)],
    ['bindAddress', '0.0.0.0'],
    ['storePathRootDir', `${STORE_MOUNT}/store`],
  );
  if (spec.metrics.enabled) entries.push(['metricsExporterType', 'PROM'], ['metricsPromExporterPort', String(spec.metrics.port)]);
  const external = spec.externalAccess.brokers.find((b) => b.group === group && b.brokerId === brokerId);
  if (spec.externalAccess.type !== 'None' && external) entries.push(['brokerIP1', external.advertisedAddress]);
  if (input.draining) entries.push(['brokerPermission', String(READ_ONLY_PERMISSION)]);
  // Member n<k> is pod ordinal k; peers by the pods' stable DNS names, so a rescheduled pod keeps its place.
  if (raft) {
    const peers = Array.from({ length: g.replicasPerGroup }, (_, i) =>
      `n${i}-${brokerPodName(cluster, group, i, true)}.${groupServiceName(cluster, group)}.${cluster.namespace}.svc:${RAFT_PORT}`);
    entries.push(
      ['enableDLegerCommitLog', 'true'],
      ['dLegerGroup', brokerName(cluster, group)],
      ['dLegerPeers', peers.join(';')],
      ['dLegerSelfId', `n${brokerId}`],
    );
  }
  for (const key of Object.keys(g.config).sort()) entries.push([key, g.config[key]!]);
  return entries;
}

/** The file text: `key=value` lines with a header saying where it came from. */
export function brokerConfText(input: BrokerConfInput): string {
  const lines = brokerConfEntries(input).map(([k, v]) => {
    // The CRD refuses line breaks in config values (CEL); a value that slipped through must not inject keys.
    if (/[\r\n]/.test(v)) throw new Error(`broker.conf value of ${k} holds a line break`);
    return `${k}=${v}`;
  });
  return `# Rendered by tern-operator from BrokerCluster ${input.cluster.namespace}/${input.cluster.name}; edits are overwritten.\n${lines.join('\n')}\n`;
}

/** A short stable hash: the pod template carries it so a config change rolls exactly the pods it touches. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
