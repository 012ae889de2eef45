import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { applyProperties } from '../../../broker/src/config/config-table.ts';
import { parseProperties } from '../../../broker/src/config/properties-file.ts';
import { brokerConfigTable, defaultBrokerConfig, validateBrokerConfig } from '../../../broker/src/broker/broker-config.ts';
import { parseRaftPeers, raftSelfId } from '../../../broker/src/raft/raft-peers.ts';
import { defaultBrokerClusterSpec, type BrokerClusterSpec } from '../../src/api/broker-cluster.ts';
import { renderCluster, type Manifest } from '../../src/render/cluster.ts';

const base = { name: 'demo', namespace: 'mq', uid: 'uid-1' };

function render(spec: Record<string, unknown>, drainingGroups: number[] = []) {
  return renderCluster({ ...base, spec: defaultBrokerClusterSpec({ image: 'docker.io/local/tern:test', ...spec }) }, { drainingGroups });
}

function find<T>(ms: Manifest[], kind: string, name: string): T {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`${kind} ${name} not rendered; have ${ms.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return m as T;
}

function conf(ms: Manifest[], group: number, id: number): Map<string, string> {
  const cm = find<V1ConfigMap>(ms, 'ConfigMap', `demo-broker-${group}-config`);
  return parseProperties(cm.data![`broker-${id}.conf`]!);
}

describe('BrokerCluster defaults', () => {
  it('follow the seed: 2 name servers, 1 group of master + slave, sync replication, async flush', () => {
    const spec = defaultBrokerClusterSpec({ image: 'x' });
    expect(spec).toEqual({
      image: 'x',
      imagePullPolicy: 'IfNotPresent',
      nameServer: { replicas: 2, resources: {} },
      brokerGroups: {
        count: 1, replicasPerGroup: 2, mode: 'MasterSlave', replication: 'Sync', flushDiskType: 'Async',
        storage: { size: '10Gi', ephemeral: false }, resources: {}, config: {},
      },
      pod: { labels: {}, annotations: {} },
      externalAccess: { type: 'None', brokers: [] },
      metrics: { enabled: false, port: 5557, serviceMonitor: false, podMonitor: false },
    } satisfies BrokerClusterSpec);
  });
});

describe('renderCluster with defaults', () => {
  const r = render({});
  const ms = r.manifests;

  it('renders exactly the expected objects, config before workloads', () => {
    expect(ms.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'Service/demo-namesrv', 'StatefulSet/demo-namesrv', 'PodDisruptionBudget/demo-namesrv',
      'ConfigMap/demo-broker-0-config', 'Service/demo-broker-0',
      'StatefulSet/demo-broker-0-1', 'StatefulSet/demo-broker-0-0', 'PodDisruptionBudget/demo-broker-0',
    ]);
    for (const m of ms) {
      expect(m.metadata.namespace).toBe('mq');
      expect((m.metadata as { ownerReferences: unknown[] }).ownerReferences).toEqual([
        { apiVersion: 'tern.io/v1alpha1', kind: 'BrokerCluster', name: 'demo', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
      ]);
      expect(m.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tern-operator', 'tern.io/cluster': 'demo' });
    }
  });

  it('name servers: a headless Service publishing not-ready addresses and a 2-replica StatefulSet', () => {
    const svc = find<V1Service>(ms, 'Service', 'demo-namesrv');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'namesrv', port: 9876 }] });
    const sts = find<V1StatefulSet>(ms, 'StatefulSet', 'demo-namesrv');
    expect(sts.spec!.replicas).toBe(2);
    expect(sts.spec!.serviceName).toBe('demo-namesrv');
    const c = sts.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(['namesrv', '-p', '9876']);
    expect(c.image).toBe('docker.io/local/tern:test');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.readinessProbe).toEqual({ tcpSocket: { port: 'namesrv' }, periodSeconds: 5 });
    expect(find<V1PodDisruptionBudget>(ms, 'PodDisruptionBudget', 'demo-namesrv').spec).toEqual({
      maxUnavailable: 1, selector: { matchLabels: { 'tern.io/cluster': 'demo', 'app.kubernetes.io/component': 'namesrv' } },
    });
  });

  it('brokers reach the name servers by stable DNS names, never pod IPs', () => {
    expect(r.nameServerAddress).toBe('demo-namesrv-0.demo-namesrv.mq.svc:9876;demo-namesrv-1.demo-namesrv.mq.svc:9876');
    expect(conf(ms, 0, 0).get('namesrvAddr')).toBe(r.nameServerAddress);
  });

  it('master: brokerId 0, SYNC_MASTER, async flush; slave: brokerId 1, SLAVE', () => {
    const master = conf(ms, 0, 0);
    expect(Object.fromEntries(master)).toEqual({
      brokerClusterName: 'demo', brokerName: 'demo-0', brokerId: '0', brokerRole: 'SYNC_MASTER', flushDiskType: 'ASYNC_FLUSH',
      namesrvAddr: r.nameServerAddress, listenPort: '10911', haListenPort: '10912', bindAddress: '0.0.0.0', storePathRootDir: '/var/lib/tern/store',
    });
    const slave = conf(ms, 0, 1);
    expect(slave.get('brokerId')).toBe('1');
    expect(slave.get('brokerRole')).toBe('SLAVE');
  });

  it('broker StatefulSets: OnDelete, one replica each, PVC of 10Gi kept on delete and scale', () => {
    for (const id of [0, 1]) {
      const sts = find<V1StatefulSet>(ms, 'StatefulSet', `demo-broker-0-${id}`);
      expect(sts.spec!.replicas).toBe(1);
      expect(sts.spec!.updateStrategy).toEqual({ type: 'OnDelete' });
      expect(sts.spec!.serviceName).toBe('demo-broker-0');
      expect(sts.spec!.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      expect(sts.spec!.volumeClaimTemplates![0]!.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
      expect(sts.spec!.selector!.matchLabels).toEqual({
        'tern.io/cluster': 'demo', 'app.kubernetes.io/component': 'broker', 'tern.io/broker-group': '0', 'tern.io/broker-id': String(id),
      });
      const pod = sts.spec!.template;
      expect(pod.metadata!.annotations!['tern.io/config-hash']).toMatch(/^[0-9a-f]{16}$/);
      const c = pod.spec!.containers[0]!;
      expect(c.args).toEqual(['broker', '-c', `/etc/tern/broker-${id}.conf`]);
      expect(c.ports!.map((p) => p.containerPort)).toEqual([10911, 10912]);
      expect(c.volumeMounts).toEqual([
        { name: 'store', mountPath: '/var/lib/tern' }, { name: 'config', mountPath: '/etc/tern', readOnly: true }, { name: 'tmp', mountPath: '/tmp' },
      ]);
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, fsGroup: 65534 });
      expect(pod.spec!.terminationGracePeriodSeconds).toBe(60);
      expect(pod.spec!.automountServiceAccountToken).toBe(false);
    }
  });

  it('slave and master carry different config hashes: a slave-only change rolls only the slave', () => {
    const h = (id: number) => find<V1StatefulSet>(ms, 'StatefulSet', `demo-broker-0-${id}`).spec!.template.metadata!.annotations!['tern.io/config-hash'];
    expect(h(0)).not.toBe(h(1));
  });

  it('groups are listed with StatefulSets in roll order (slaves first)', () => {
    expect(r.groups).toEqual([{ index: 0, brokerName: 'demo-0', draining: false, statefulSets: ['demo-broker-0-1', 'demo-broker-0-0'] }]);
  });
});

describe('renderCluster fields', () => {
  it('every rendered MasterSlave broker.conf is accepted by the Tern broker: known keys, valid values', () => {
    const r = render({
      brokerGroups: { count: 2, replicasPerGroup: 3, replication: 'Async', flushDiskType: 'Sync', config: { maxMessageSize: '1048576', autoCreateTopicEnable: 'false' } },
      externalAccess: { type: 'LoadBalancer', brokers: [{ group: 1, brokerId: 0, advertisedAddress: '203.0.113.7' }] },
    }, [2]);
    let checked = 0;
    for (const cm of r.manifests.filter((m) => m.kind === 'ConfigMap') as V1ConfigMap[]) {
      for (const text of Object.values(cm.data!)) {
        const { config, unknownKeys } = applyProperties(brokerConfigTable, defaultBrokerConfig(), parseProperties(text));
        expect(unknownKeys).toEqual([]);
        expect(validateBrokerConfig(config)).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(9);
  });

  it('replication Async -> ASYNC_MASTER; flushDiskType Sync -> SYNC_FLUSH', () => {
    const ms = render({ brokerGroups: { replication: 'Async', flushDiskType: 'Sync' } }).manifests;
    expect(conf(ms, 0, 0).get('brokerRole')).toBe('ASYNC_MASTER');
    expect(conf(ms, 0, 0).get('flushDiskType')).toBe('SYNC_FLUSH');
    expect(conf(ms, 0, 1).get('flushDiskType')).toBe('SYNC_FLUSH');
  });

  it('count and replicasPerGroup: one StatefulSet per broker, brokerIds 0..n-1, brokerName per group', () => {
    const r = render({ brokerGroups: { count: 3, replicasPerGroup: 3 } });
    const sts = r.manifests.filter((m) => m.kind === 'StatefulSet').map((m) => m.metadata.name);
    expect(sts).toEqual(['demo-namesrv', ...[0, 1, 2].flatMap((g) => [`demo-broker-${g}-2`, `demo-broker-${g}-1`, `demo-broker-${g}-0`])]);
    expect(conf(r.manifests, 2, 2).get('brokerName')).toBe('demo-2');
    expect(conf(r.manifests, 2, 2).get('brokerId')).toBe('2');
    expect(r.groups.map((g) => g.brokerName)).toEqual(['demo-0', 'demo-1', 'demo-2']);
  });

  it('replicasPerGroup 1: a lone master, no slave StatefulSet', () => {
    const r = render({ brokerGroups: { replicasPerGroup: 1 } });
    expect(r.groups[0]!.statefulSets).toEqual(['demo-broker-0-0']);
  });

  it('nameServer.replicas and resources', () => {
    const resources = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } };
    const r = render({ nameServer: { replicas: 3, resources } });
    const sts = find<V1StatefulSet>(r.manifests, 'StatefulSet', 'demo-namesrv');
    expect(sts.spec!.replicas).toBe(3);
    expect(sts.spec!.template.spec!.containers[0]!.resources).toEqual(resources);
    expect(r.nameServerAddress.split(';')).toHaveLength(3);
  });

  it('image, imagePullPolicy and imagePullSecrets reach every pod', () => {
    const r = render({ image: 'registry.example/tern:1.2', imagePullPolicy: 'Never', imagePullSecrets: [{ name: 'pull' }] });
    for (const sts of r.manifests.filter((m) => m.kind === 'StatefulSet') as V1StatefulSet[]) {
      expect(sts.spec!.template.spec!.containers[0]!.image).toBe('registry.example/tern:1.2');
      expect(sts.spec!.template.spec!.containers[0]!.imagePullPolicy).toBe('Never');
      expect(sts.spec!.template.spec!.imagePullSecrets).toEqual([{ name: 'pull' }]);
    }
  });

  it('storage size and class; ephemeral uses an emptyDir and no claim', () => {
    const sized = render({ brokerGroups: { storage: { size: '200Gi', storageClassName: 'fast' } } });
    expect(find<V1StatefulSet>(sized.manifests, 'StatefulSet', 'demo-broker-0-0').spec!.volumeClaimTemplates![0]!.spec)
      .toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '200Gi' } }, storageClassName: 'fast' });
    const eph = find<V1StatefulSet>(render({ brokerGroups: { storage: { ephemeral: true } } }).manifests, 'StatefulSet', 'demo-broker-0-0');
    expect(eph.spec!.volumeClaimTemplates).toEqual([]);
    expect(eph.spec!.template.spec!.volumes).toContainEqual({ name: 'store', emptyDir: {} });
  });

  it('broker resources and broker.conf overrides (sorted after the derived keys)', () => {
    const resources = { requests: { cpu: '1', memory: '2Gi' } };
    const r = render({ brokerGroups: { resources, config: { maxMessageSize: '1048576', flushIntervalCommitLog: '200' } } });
    expect(find<V1StatefulSet>(r.manifests, 'StatefulSet', 'demo-broker-0-1').spec!.template.spec!.containers[0]!.resources).toEqual(resources);
    const keys = [...conf(r.manifests, 0, 1).keys()];
    expect(keys.slice(-2)).toEqual(['flushIntervalCommitLog', 'maxMessageSize']);
  });

  it('a config change changes every broker hash; a replication change only the master hash', () => {
    const hashes = (spec: Record<string, unknown>) => Object.fromEntries((render(spec).manifests.filter((m) => m.kind === 'StatefulSet') as V1StatefulSet[])
      .map((s) => [s.metadata!.name!, s.spec!.template.metadata!.annotations?.['tern.io/config-hash']]));
    const a = hashes({});
    const b = hashes({ brokerGroups: { config: { maxMessageSize: '1048576' } } });
    const c = hashes({ brokerGroups: { replication: 'Async' } });
    expect(b['demo-broker-0-0']).not.toBe(a['demo-broker-0-0']);
    expect(b['demo-broker-0-1']).not.toBe(a['demo-broker-0-1']);
    expect(c['demo-broker-0-0']).not.toBe(a['demo-broker-0-0']);
    expect(c['demo-broker-0-1']).toBe(a['demo-broker-0-1']);
  });

  it('a line break in a config value is refused, not injected', () => {
    expect(() => render({ brokerGroups: { config: { maxMessageSize: '1\nbrokerRole=SLAVE' } } })).toThrow(/line break/);
  });

  it('pod overrides: affinity, tolerations, topology spread, node selector, priority class, labels, annotations', () => {
    const affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } };
    const tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'mq', effect: 'NoSchedule' }];
    const topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }];
    const r = render({
      pod: { affinity, tolerations, topologySpreadConstraints, nodeSelector: { disk: 'ssd' }, priorityClassName: 'high', labels: { team: 'mq' }, annotations: { note: 'x' } },
    });
    for (const sts of r.manifests.filter((m) => m.kind === 'StatefulSet') as V1StatefulSet[]) {
      const t = sts.spec!.template;
      expect(t.spec!.affinity).toEqual(affinity);
      expect(t.spec!.tolerations).toEqual(tolerations);
      expect(t.spec!.topologySpreadConstraints).toEqual(topologySpreadConstraints);
      expect(t.spec!.nodeSelector).toEqual({ disk: 'ssd' });
      expect(t.spec!.priorityClassName).toBe('high');
      expect(t.metadata!.labels!.team).toBe('mq');
      expect(t.metadata!.annotations!.note).toBe('x');
      // The operator's own labels win over user labels (selectors must keep matching).
      expect(t.metadata!.labels!['tern.io/cluster']).toBe('demo');
    }
  });

  it('external access: one Service per broker pod, advertised address as brokerIP1', () => {
    const r = render({ externalAccess: { type: 'NodePort', brokers: [{ group: 0, brokerId: 1, advertisedAddress: '198.51.100.4' }] } });
    const svc = find<V1Service>(r.manifests, 'Service', 'demo-broker-0-1-external');
    expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', selector: { 'statefulset.kubernetes.io/pod-name': 'demo-broker-0-1-0' } });
    expect(find<V1Service>(r.manifests, 'Service', 'demo-broker-0-0-external').spec!.type).toBe('NodePort');
    expect(conf(r.manifests, 0, 1).get('brokerIP1')).toBe('198.51.100.4');
    expect(conf(r.manifests, 0, 0).has('brokerIP1')).toBe(false);
    expect(render({}).manifests.some((m) => m.metadata.name.endsWith('-external'))).toBe(false);
  });

  it('metrics: /metrics turned on in every pod on its port, a metrics Service, and a ServiceMonitor or PodMonitor only when asked', () => {
    const on = render({ metrics: { enabled: true, port: 9000 } });
    const sts = find<V1StatefulSet>(on.manifests, 'StatefulSet', 'demo-broker-0-0');
    expect(sts.spec!.template.spec!.containers[0]!.ports).toContainEqual({ name: 'metrics', containerPort: 9000 });
    expect(conf(on.manifests, 0, 0).get('metricsExporterType')).toBe('PROM');
    expect(conf(on.manifests, 0, 0).get('metricsPromExporterPort')).toBe('9000');
    expect(conf(render({}).manifests, 0, 0).has('metricsExporterType')).toBe(false);
    const ns = find<V1StatefulSet>(on.manifests, 'StatefulSet', 'demo-namesrv').spec!.template.spec!.containers[0]!;
    expect(ns.args).toEqual(['namesrv', '-p', '9876', '--metricsExporterType', 'PROM', '--metricsPromExporterPort', '9000']);
    expect(ns.ports).toContainEqual({ name: 'metrics', containerPort: 9000 });
    expect(find<V1Service>(on.manifests, 'Service', 'demo-metrics').spec!.ports).toEqual([{ name: 'metrics', port: 9000, targetPort: 'metrics' }]);
    expect(on.manifests.some((m) => m.kind === 'ServiceMonitor')).toBe(false);
    const sm = render({ metrics: { enabled: true, serviceMonitor: true } }).manifests.find((m) => m.kind === 'ServiceMonitor');
    expect(sm).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', metadata: { name: 'demo' }, spec: { endpoints: [{ port: 'metrics', path: '/metrics' }] } });
    expect(on.manifests.some((m) => m.kind === 'PodMonitor')).toBe(false);
    const pm = render({ metrics: { enabled: true, podMonitor: true } }).manifests.find((m) => m.kind === 'PodMonitor');
    expect(pm).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1', metadata: { name: 'demo' },
      spec: { selector: { matchLabels: { 'tern.io/cluster': 'demo' } }, podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }] },
    });
    expect(render({}).manifests.some((m) => m.metadata.name === 'demo-metrics')).toBe(false);
  });

  it('a draining group stays rendered, read-only (brokerPermission=4), and is marked draining', () => {
    const r = render({ brokerGroups: { count: 1 } }, [1]);
    expect(r.groups.map((g) => [g.index, g.draining])).toEqual([[0, false], [1, true]]);
    expect(conf(r.manifests, 1, 0).get('brokerPermission')).toBe('4');
    expect(conf(r.manifests, 1, 1).get('brokerPermission')).toBe('4');
    expect(conf(r.manifests, 0, 0).has('brokerPermission')).toBe(false);
    // a group listed as draining but still within count is not drained
    expect(render({ brokerGroups: { count: 2 } }, [1]).groups[1]!.draining).toBe(false);
  });

  it('Raft mode: one StatefulSet per group with Parallel pods, DLedger peers by DNS, file picked by pod index', () => {
    const r = render({ brokerGroups: { mode: 'Raft', replicasPerGroup: 3 } });
    const sts = find<V1StatefulSet>(r.manifests, 'StatefulSet', 'demo-broker-0');
    expect(sts.spec!.replicas).toBe(3);
    expect(sts.spec!.podManagementPolicy).toBe('Parallel');
    const c = sts.spec!.template.spec!.containers[0]!;
    expect(c.args).toEqual(['broker', '-c', '/etc/tern/broker-$(TERN_POD_INDEX).conf']);
    expect(c.env).toEqual([{ name: 'TERN_POD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } }]);
    expect(c.ports!.map((p) => p.name)).toEqual(['broker', 'ha', 'raft']);
    const c2 = conf(r.manifests, 0, 2);
    expect(c2.get('dLegerSelfId')).toBe('n2');
    expect(c2.get('dLegerPeers')).toBe([0, 1, 2].map((i) => `n${i}-demo-broker-0-${i}.demo-broker-0.mq.svc:40911`).join(';'));
    expect(c2.has('brokerRole')).toBe(false);
    expect(r.groups[0]!.statefulSets).toEqual(['demo-broker-0']);
    // The broker accepts every member's file as it is: known keys, valid values, its own id among the peers.
    for (const id of [0, 1, 2]) {
      const { config, unknownKeys } = applyProperties(brokerConfigTable, defaultBrokerConfig(), conf(r.manifests, 0, id));
      expect(unknownKeys).toEqual([]);
      expect(validateBrokerConfig(config)).toEqual([]);
      const peers = parseRaftPeers(config.dLegerPeers);
      expect(peers.map((p) => p.host)).toEqual([0, 1, 2].map((i) => `demo-broker-0-${i}.demo-broker-0.mq.svc`));
      // member n<k> is pod ordinal k, whose file the container picks by its pod-index label
      expect(peers[raftSelfId(config.dLegerSelfId, peers) - 1]!.host.split('.')[0]).toBe(`demo-broker-0-${id}`);
    }
    // the headless Service publishes the DLedger port, and not-ready pods too (a member must reach its peers to become Ready)
    const svc = find<V1Service>(r.manifests, 'Service', 'demo-broker-0');
    expect(svc.spec!.publishNotReadyAddresses).toBe(true);
    expect(svc.spec!.ports!.find((p) => p.name === 'raft')).toEqual({ name: 'raft', port: 40911, targetPort: 'raft' });
    // each member keeps its own volume (its Raft log and CommitLog) across restarts and rescheduling
    expect(sts.spec!.volumeClaimTemplates!.map((v) => v.metadata!.name)).toEqual(['store']);
    expect(sts.spec!.updateStrategy).toEqual({ type: 'OnDelete' });
  });
});
