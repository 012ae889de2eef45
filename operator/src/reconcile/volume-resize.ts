/**
 * The I/O around the volume plan (volume-plan.ts): read the broker PVCs and their StorageClasses, then patch the
 * claims to grow and delete, orphaning their pods, the broker StatefulSets whose volumeClaimTemplates size is stale
 * (the BrokerCluster reconcile applies them again once they are gone).
 */
import type { V1PersistentVolumeClaim, V1StatefulSet, V1StorageClass } from '@kubernetes/client-node';
import type { BrokerClusterSpec } from '../api/broker-cluster.ts';
import { quantityValue } from '../api/quantity.ts';
import type { Recorder } from '../kube/event-recorder.ts';
import { describeApiError, type KubeClient, type ObjectRef } from '../kube/kube-client.ts';
import type { Manifest } from '../render/cluster.ts';
import { LABEL_CLUSTER, LABEL_COMPONENT, LABEL_GROUP } from '../render/names.ts';
import { planVolumes, type VolumePlan } from './volume-plan.ts';

export interface VolumeDeps {
  client: KubeClient;
  recorder: Recorder;
  log?: (line: string) => void;
}

/** The volume decision for this pass, from the broker PVCs of the cluster and their StorageClasses. */
export async function observeVolumePlan(
  d: VolumeDeps, namespace: string, cluster: string, generation: number, spec: BrokerClusterSpec,
): Promise<VolumePlan> {
  const desired = spec.brokerGroups.storage.size;
  if (spec.brokerGroups.storage.ephemeral) return { templateSize: desired, grow: [] };
  const pvcs = await d.client.list<V1PersistentVolumeClaim>('v1', 'PersistentVolumeClaim', namespace,
    `${LABEL_CLUSTER}=${cluster},${LABEL_COMPONENT}=broker`);
  // Claims of groups scaled away are kept (Retain) but no longer ours to grow.
  const active = new Set(Array.from({ length: spec.brokerGroups.count }, (_, g) => String(g)));
  const claims = pvcs.filter((p) => !p.metadata?.deletionTimestamp && active.has(p.metadata?.labels?.[LABEL_GROUP] ?? '')).map((p) => ({
    name: p.metadata!.name!, requested: String(p.spec?.resources?.requests?.storage ?? desired),
    ...(p.status?.capacity?.storage !== undefined ? { capacity: String(p.status.capacity.storage) } : {}),
    ...(p.spec?.storageClassName ? { storageClassName: p.spec.storageClassName } : {}),
  }));
  const expandable = new Map<string, boolean>();
  const classes = new Set(claims.filter((c) => quantityValue(c.requested) < quantityValue(desired)).map((c) => c.storageClassName).filter((c) => c !== undefined));
  for (const cls of classes) {
    try {
      const sc = await d.client.get<V1StorageClass>('storage.k8s.io/v1', 'StorageClass', '', cls);
      if (sc) expandable.set(cls, sc.allowVolumeExpansion === true);
    } catch (err) {
      d.log?.(`${namespace}/${cluster}: cannot read StorageClass ${cls}: ${describeApiError(err)}`);
    }
  }
  return planVolumes({ generation, desired, claims, expandable });
}

/** Patches the PVCs to grow and deletes the stale StatefulSets; returns what failed and which StatefulSets it deleted. */
export async function resizeVolumes(
  d: VolumeDeps, ref: ObjectRef, plan: VolumePlan, statefulSets: V1StatefulSet[],
): Promise<{ problems: string[]; recreating: string[] }> {
  const problems: string[] = [];
  const grown: string[] = [];
  for (const pvc of plan.grow) {
    try {
      await d.client.apply({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: pvc, namespace: ref.namespace },
        spec: { resources: { requests: { storage: plan.templateSize } } },
      } as Manifest);
      grown.push(pvc);
    } catch (err) {
      problems.push(`grow PVC ${pvc}: ${describeApiError(err)}`);
    }
  }
  if (grown.length) await d.recorder.record(ref, 'Normal', 'VolumeExpansion', `Requested ${plan.templateSize} for PVC ${grown.join(', ')}`);
  const want = quantityValue(plan.templateSize);
  const recreating: string[] = [];
  for (const sts of statefulSets) {
    const template = sts.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
    if (sts.metadata?.labels?.[LABEL_COMPONENT] !== 'broker' || sts.metadata.deletionTimestamp || template === undefined) continue;
    if (quantityValue(String(template)) === want) continue;
    await d.client.delete({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name!, namespace: ref.namespace }, { uid: sts.metadata.uid!, propagation: 'Orphan' });
    recreating.push(sts.metadata.name!);
    await d.recorder.record(ref, 'Normal', 'RecreatingStatefulSet',
      `StatefulSet ${sts.metadata.name} is recreated with volume size ${plan.templateSize} (volumeClaimTemplates are immutable); its pods keep running`);
  }
  return { problems, recreating };
}
