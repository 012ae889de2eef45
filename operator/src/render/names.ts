/** Names, labels and addresses of everything rendered for a BrokerCluster; one place so they never drift apart. */

export const NAMESRV_PORT = 9876;
export const BROKER_PORT = 10911;
export const HA_PORT = 10912;
/** DLedger's peer port in RocketMQ's examples; used by Raft groups. */
export const RAFT_PORT = 40911;
export const STORE_MOUNT = '/var/lib/tern';
export const CONFIG_MOUNT = '/etc/tern';

export const LABEL_CLUSTER = 'tern.io/cluster';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_GROUP = 'tern.io/broker-group';
export const LABEL_BROKER_ID = 'tern.io/broker-id';
export const CONFIG_HASH_ANNOTATION = 'tern.io/config-hash';

export interface ClusterRef {
  name: string;
  namespace: string;
}

export function namesrvName(c: ClusterRef): string {
  return `${c.name}-namesrv`;
}

/** The RocketMQ brokerName of group g. */
export function brokerName(c: ClusterRef, group: number): string {
  return `${c.name}-${group}`;
}

/** Headless Service of a broker group: stable DNS names for its pods. */
export function groupServiceName(c: ClusterRef, group: number): string {
  return `${c.name}-broker-${group}`;
}

export function groupConfigMapName(c: ClusterRef, group: number): string {
  return `${c.name}-broker-${group}-config`;
}

/** MasterSlave: one StatefulSet per brokerId (replicas 1). Raft: one StatefulSet per group. */
export function brokerStatefulSetName(c: ClusterRef, group: number, brokerId?: number): string {
  return brokerId === undefined ? `${c.name}-broker-${group}` : `${c.name}-broker-${group}-${brokerId}`;
}

/** The pod of a MasterSlave broker (ordinal 0 of its StatefulSet), or of Raft member `brokerId`. */
export function brokerPodName(c: ClusterRef, group: number, brokerId: number, raft = false): string {
  return raft ? `${brokerStatefulSetName(c, group)}-${brokerId}` : `${brokerStatefulSetName(c, group, brokerId)}-0`;
}

export function brokerConfFile(brokerId: number): string {
  return `broker-${brokerId}.conf`;
}

export function externalServiceName(c: ClusterRef, group: number, brokerId: number): string {
  return `${c.name}-broker-${group}-${brokerId}-external`;
}

/** The namesrvAddr every broker and in-cluster client uses: stable per-pod DNS names, never pod IPs. */
export function namesrvAddress(c: ClusterRef, replicas: number): string {
  const svc = namesrvName(c);
  return Array.from({ length: replicas }, (_, i) => `${svc}-${i}.${svc}.${c.namespace}.svc:${NAMESRV_PORT}`).join(';');
}

/** In-cluster address of one broker. */
export function brokerAddress(c: ClusterRef, group: number, brokerId: number, raft = false): string {
  return `${brokerPodName(c, group, brokerId, raft)}.${groupServiceName(c, group)}.${c.namespace}.svc:${BROKER_PORT}`;
}

export function clusterLabels(c: ClusterRef): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'tern',
    'app.kubernetes.io/instance': c.name,
    'app.kubernetes.io/managed-by': 'tern-operator',
    [LABEL_CLUSTER]: c.name,
  };
}

export function namesrvSelector(c: ClusterRef): Record<string, string> {
  return { [LABEL_CLUSTER]: c.name, [LABEL_COMPONENT]: 'namesrv' };
}

export function groupSelector(c: ClusterRef, group: number): Record<string, string> {
  return { [LABEL_CLUSTER]: c.name, [LABEL_COMPONENT]: 'broker', [LABEL_GROUP]: String(group) };
}
