/**
 * The desired objects of a BrokerCluster, as a pure function of its (defaulted) spec: name server
 * StatefulSet and Services, per broker group ConfigMap, headless Service, StatefulSets and PDB, optional
 * external Services and metrics. No I/O: most operator behaviour is tested here without a cluster.
 */
import type {
  KubernetesObject, V1ConfigMap, V1Container, V1OwnerReference, V1PodDisruptionBudget, V1PodSpec, V1PodTemplateSpec,
  V1Service, V1StatefulSet,
} from '@kubernetes/client-node';
import type { BrokerClusterSpec } from '../api/broker-cluster.ts';
import { API_VERSION } from '../api/group.ts';
import { brokerConfText, contentHash } from './broker-conf.ts';
import {
  BROKER_PORT, brokerConfFile, brokerName, brokerStatefulSetName, clusterLabels, CONFIG_HASH_ANNOTATION, CONFIG_MOUNT,
  externalServiceName, groupConfigMapName, groupSelector, groupServiceName, HA_PORT, LABEL_BROKER_ID, LABEL_CLUSTER,
  NAMESRV_PORT, namesrvAddress, namesrvName, namesrvSelector, RAFT_PORT, STORE_MOUNT, brokerPodName,
} from './names.ts';

export interface ClusterInput {
  name: string;
  namespace: string;
  uid: string;
  spec: BrokerClusterSpec;
}

export interface RenderOptions {
  /** Groups at index >= spec.brokerGroups.count that still exist and are being drained (rendered read-only). */
  drainingGroups?: number[];
}

/** A rendered object: apiVersion, kind and metadata.name/namespace are always set. */
export type Manifest = KubernetesObject & { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };

export interface RenderedGroup {
  index: number;
  brokerName: string;
  draining: boolean;
  /** StatefulSet names in roll order: slaves (highest brokerId first), then the master; one name for a Raft group. */
  statefulSets: string[];
}

export interface RenderedCluster {
  /** In apply order: config before the workloads that mount it. */
  manifests: Manifest[];
  groups: RenderedGroup[];
  nameServerAddress: string;
}

/** UID 65534 (nobody): the image runs unprivileged; fsGroup makes the store volume writable. */
const RUN_AS = 65534;

export function renderCluster(input: ClusterInput, options: RenderOptions = {}): RenderedCluster {
  const c = { name: input.name, namespace: input.namespace };
  const spec = input.spec;
  const owner: V1OwnerReference = {
    apiVersion: API_VERSION, kind: 'BrokerCluster', name: input.name, uid: input.uid, controller: true, blockOwnerDeletion: true,
  };
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name, namespace: c.namespace, labels: { ...clusterLabels(c), ...extra }, ownerReferences: [owner],
  });
  const manifests: Manifest[] = [];
  const groups: RenderedGroup[] = [];

  // --- name servers ---
  const nsSel = namesrvSelector(c);
  const nsService: V1Service & Manifest = {
    apiVersion: 'v1', kind: 'Service', metadata: meta(namesrvName(c), nsSel),
    spec: {
      clusterIP: 'None', publishNotReadyAddresses: true, selector: nsSel,
      ports: [{ name: 'namesrv', port: NAMESRV_PORT, targetPort: 'namesrv' }],
    },
  };
  const nsContainer: V1Container = {
    ...container(spec, 'namesrv', ['namesrv', '-p', String(NAMESRV_PORT), ...namesrvMetricsArgs(spec)], spec.nameServer.resources),
    ports: [{ name: 'namesrv', containerPort: NAMESRV_PORT }, ...metricsPorts(spec)],
    readinessProbe: { tcpSocket: { port: 'namesrv' }, periodSeconds: 5 },
    livenessProbe: { tcpSocket: { port: 'namesrv' }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
  };
  const nsSts: V1StatefulSet & Manifest = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(namesrvName(c), nsSel),
    spec: {
      serviceName: namesrvName(c), replicas: spec.nameServer.replicas, podManagementPolicy: 'Parallel',
      selector: { matchLabels: nsSel },
      updateStrategy: { type: 'RollingUpdate' },
      template: podTemplate(spec, { ...clusterLabels(c), ...nsSel }, {}, { containers: [nsContainer], terminationGracePeriodSeconds: 30 }),
    },
  };
  manifests.push(nsService, nsSts, pdb(meta(namesrvName(c), nsSel), nsSel));

  // --- broker groups ---
  const draining = new Set(options.drainingGroups ?? []);
  const indexes = [...new Set([...Array.from({ length: spec.brokerGroups.count }, (_, i) => i), ...draining])].sort((a, b) => a - b);
  const raft = spec.brokerGroups.mode === 'Raft';
  const n = spec.brokerGroups.replicasPerGroup;
  for (const g of indexes) {
    const isDraining = draining.has(g) && g >= spec.brokerGroups.count;
    const sel = groupSelector(c, g);
    const confs = new Map<number, string>();
    for (let id = 0; id < n; id++) confs.set(id, brokerConfText({ cluster: c, spec, group: g, brokerId: id, draining: isDraining }));
    const cm: V1ConfigMap & Manifest = {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(groupConfigMapName(c, g), sel),
      data: Object.fromEntries([...confs].map(([id, text]) => [brokerConfFile(id), text])),
    };
    const svc: V1Service & Manifest = {
      apiVersion: 'v1', kind: 'Service', metadata: meta(groupServiceName(c, g), sel),
      spec: {
        clusterIP: 'None', publishNotReadyAddresses: true, selector: sel,
        ports: [
          { name: 'broker', port: BROKER_PORT, targetPort: 'broker' },
          { name: 'ha', port: HA_PORT, targetPort: 'ha' },
          ...(raft ? [{ name: 'raft', port: RAFT_PORT, targetPort: 'raft' }] : []),
        ],
      },
    };
    manifests.push(cm, svc);
    const stsNames: string[] = [];
    if (raft) {
      const hash = contentHash([...confs.values()].join('\n'));
      const sts = brokerStatefulSet(c, spec, g, undefined, n, hash, meta, sel);
      manifests.push(sts);
      stsNames.push(sts.metadata!.name!);
    } else {
      for (let id = n - 1; id >= 0; id--) {
        const sts = brokerStatefulSet(c, spec, g, id, 1, contentHash(confs.get(id)!), meta, { ...sel, [LABEL_BROKER_ID]: String(id) });
        manifests.push(sts);
        stsNames.push(sts.metadata!.name!);
      }
    }
    manifests.push(pdb(meta(groupServiceName(c, g), sel), sel));
    if (spec.externalAccess.type !== 'None') {
      for (let id = 0; id < n; id++) {
        const pod = brokerPodName(c, g, id, raft);
        const ext: V1Service & Manifest = {
          apiVersion: 'v1', kind: 'Service', metadata: meta(externalServiceName(c, g, id), { ...sel, [LABEL_BROKER_ID]: String(id) }),
          spec: {
            type: spec.externalAccess.type, externalTrafficPolicy: 'Local',
            selector: { 'statefulset.kubernetes.io/pod-name': pod },
            ports: [{ name: 'broker', port: BROKER_PORT, targetPort: 'broker' }],
          },
        };
        manifests.push(ext);
      }
    }
    groups.push({ index: g, brokerName: brokerName(c, g), draining: isDraining, statefulSets: stsNames });
  }

  // --- metrics ---
  if (spec.metrics.enabled) {
    const sel = { [LABEL_CLUSTER]: c.name };
    manifests.push({
      apiVersion: 'v1', kind: 'Service', metadata: meta(`${c.name}-metrics`, { 'tern.io/metrics': 'true' }),
      spec: { clusterIP: 'None', selector: sel, ports: [{ name: 'metrics', port: spec.metrics.port, targetPort: 'metrics' }] },
    } as V1Service as Manifest);
    if (spec.metrics.serviceMonitor) {
      manifests.push({
        apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta(c.name),
        spec: { selector: { matchLabels: { [LABEL_CLUSTER]: c.name, 'tern.io/metrics': 'true' } }, endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }] },
      } as Manifest);
    }
    if (spec.metrics.podMonitor) {
      manifests.push({
        apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: meta(c.name),
        spec: { selector: { matchLabels: sel }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }] },
      } as Manifest);
    }
  }

  return { manifests: manifests as Manifest[], groups, nameServerAddress: namesrvAddress(c, spec.nameServer.replicas) };
}

type MetaFn = (name: string, extra?: Record<string, string>) => { name: string; namespace: string; labels: Record<string, string>; ownerReferences: V1OwnerReference[] };

function brokerStatefulSet(
  c: { name: string; namespace: string }, spec: BrokerClusterSpec, g: number, brokerId: number | undefined,
  replicas: number, confHash: string, meta: MetaFn, sel: Record<string, string>,
): V1StatefulSet & Manifest {
  const raft = brokerId === undefined;
  // Raft members pick their file by pod index ($(VAR) is expanded by the kubelet, no shell needed in the image).
  const confPath = raft ? `${CONFIG_MOUNT}/broker-$(TERN_POD_INDEX).conf` : `${CONFIG_MOUNT}/${brokerConfFile(brokerId)}`;
  const ephemeral = spec.brokerGroups.storage.ephemeral;
  const brokerContainer: V1Container = {
    ...container(spec, 'broker', ['broker', '-c', confPath], spec.brokerGroups.resources),
    ports: [
      { name: 'broker', containerPort: BROKER_PORT },
      { name: 'ha', containerPort: HA_PORT },
      ...(raft ? [{ name: 'raft', containerPort: RAFT_PORT }] : []),
      ...metricsPorts(spec),
    ],
    env: raft ? [{ name: 'TERN_POD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } }] : [],
    volumeMounts: [{ name: 'store', mountPath: STORE_MOUNT }, { name: 'config', mountPath: CONFIG_MOUNT, readOnly: true }],
    readinessProbe: { tcpSocket: { port: 'broker' }, periodSeconds: 5 },
    livenessProbe: { tcpSocket: { port: 'broker' }, initialDelaySeconds: 60, periodSeconds: 10, failureThreshold: 6 },
  };
  const volumes: V1PodSpec['volumes'] = [{ name: 'config', configMap: { name: groupConfigMapName(c, g) } }];
  if (ephemeral) volumes.push({ name: 'store', emptyDir: {} });
  const name = brokerStatefulSetName(c, g, brokerId);
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta(name, sel) as Manifest['metadata'],
    spec: {
      serviceName: groupServiceName(c, g),
      replicas,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: sel },
      // The operator decides when each pod restarts: slaves first, the master once they have caught up.
      updateStrategy: { type: 'OnDelete' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: podTemplate(spec, { ...clusterLabels(c), ...sel }, { [CONFIG_HASH_ANNOTATION]: confHash }, {
        containers: [brokerContainer],
        volumes,
        // The broker finishes in-flight requests, persists offsets and flushes on SIGTERM.
        terminationGracePeriodSeconds: 60,
      }),
      volumeClaimTemplates: ephemeral ? [] : [{
        metadata: { name: 'store', labels: { ...clusterLabels(c), ...sel } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: spec.brokerGroups.storage.size } },
          ...(spec.brokerGroups.storage.storageClassName !== undefined ? { storageClassName: spec.brokerGroups.storage.storageClassName } : {}),
        },
      }],
    },
  };
}

function container(spec: BrokerClusterSpec, name: string, args: string[], resources: BrokerClusterSpec['nameServer']['resources']): V1Container {
  return {
    name,
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    args,
    resources,
    securityContext: {
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

/** The namesrv takes no config file: its /metrics keys go on the command line (broker.conf carries the brokers'). */
function namesrvMetricsArgs(spec: BrokerClusterSpec): string[] {
  return spec.metrics.enabled ? ['--metricsExporterType', 'PROM', '--metricsPromExporterPort', String(spec.metrics.port)] : [];
}

function metricsPorts(spec: BrokerClusterSpec): Array<{ name: string; containerPort: number }> {
  return spec.metrics.enabled ? [{ name: 'metrics', containerPort: spec.metrics.port }] : [];
}

function podTemplate(
  spec: BrokerClusterSpec, labels: Record<string, string>, annotations: Record<string, string>, pod: Pick<V1PodSpec, 'containers' | 'volumes' | 'terminationGracePeriodSeconds'>,
): V1PodTemplateSpec {
  const p = spec.pod;
  const podSpec: V1PodSpec = {
    ...pod,
    // /tmp for Node; the root filesystem is read-only.
    volumes: [...(pod.volumes ?? []), { name: 'tmp', emptyDir: {} }],
    containers: pod.containers.map((ct) => ({ ...ct, volumeMounts: [...(ct.volumeMounts ?? []), { name: 'tmp', mountPath: '/tmp' }] })),
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
  };
  if (spec.imagePullSecrets?.length) podSpec.imagePullSecrets = spec.imagePullSecrets;
  if (p.affinity) podSpec.affinity = p.affinity;
  if (p.tolerations?.length) podSpec.tolerations = p.tolerations;
  if (p.topologySpreadConstraints?.length) podSpec.topologySpreadConstraints = p.topologySpreadConstraints;
  if (p.nodeSelector && Object.keys(p.nodeSelector).length) podSpec.nodeSelector = p.nodeSelector;
  if (p.priorityClassName) podSpec.priorityClassName = p.priorityClassName;
  const allAnnotations = { ...p.annotations, ...annotations };
  return {
    metadata: { labels: { ...p.labels, ...labels }, ...(Object.keys(allAnnotations).length ? { annotations: allAnnotations } : {}) },
    spec: podSpec,
  };
}

function pdb(metadata: ReturnType<MetaFn>, selector: Record<string, string>): V1PodDisruptionBudget & Manifest {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata,
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}
