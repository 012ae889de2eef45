/**
 * Growing broker volumes in place when storage.size rises, as Strimzi does: each PVC is patched (the storage driver
 * resizes it) where its StorageClass has allowVolumeExpansion. The StatefulSets' volumeClaimTemplates are immutable,
 * so the reconciler deletes a StatefulSet whose template size differs with propagation Orphan (its pods keep running)
 * and applies it again with the new size. Shrinking, or growing where a StorageClass does not allow it, is refused:
 * nothing is patched and the templates keep the size the volumes have. A pure decision, tested without a cluster.
 */
import type { ConditionUpdate } from './cluster-status.ts';
import { quantityValue } from '../api/quantity.ts';

export interface ObservedClaim {
  name: string;
  /** spec.resources.requests.storage */
  requested: string;
  /** status.capacity.storage; undefined while unbound. */
  capacity?: string;
  storageClassName?: string;
}

export interface VolumePlanInput {
  generation: number;
  /** spec.brokerGroups.storage.size */
  desired: string;
  claims: ObservedClaim[];
  /** allowVolumeExpansion of each StorageClass the claims use; a class missing here could not be read or does not exist. */
  expandable: Map<string, boolean>;
}

export interface VolumePlan {
  /** The size the StatefulSets' volumeClaimTemplates get: desired, or what the volumes have when a resize is refused. */
  templateSize: string;
  /** PVCs to patch to `desired`. */
  grow: string[];
  /** The VolumeExpansion condition; undefined when there are no claims or nothing was ever asked of them. */
  condition?: ConditionUpdate;
}

export const VOLUME_CONDITION = 'VolumeExpansion';

export function planVolumes(o: VolumePlanInput): VolumePlan {
  const want = quantityValue(o.desired);
  const cond = (status: 'True' | 'False', reason: string, message: string): ConditionUpdate =>
    ({ type: VOLUME_CONDITION, status, reason, message, observedGeneration: o.generation });
  if (o.claims.length === 0) return { templateSize: o.desired, grow: [] };
  // What the volumes hold today: the largest request (they are all made from one template).
  const current = o.claims.reduce((a, c) => (quantityValue(c.requested) > quantityValue(a) ? c.requested : a), o.claims[0]!.requested);
  const larger = o.claims.filter((c) => quantityValue(c.requested) > want);
  if (larger.length) {
    return {
      templateSize: current, grow: [],
      condition: cond('False', 'ShrinkNotSupported', `storage.size ${o.desired} is below what ${names(larger)} hold (${current}); `
        + `volumes cannot shrink, so they and the StatefulSet templates stay at ${current}`),
    };
  }
  const smaller = o.claims.filter((c) => quantityValue(c.requested) < want);
  if (smaller.length) {
    const refused = smaller.filter((c) => !c.storageClassName || o.expandable.get(c.storageClassName) !== true);
    if (refused.length) {
      const byClass = new Map<string, string[]>();
      for (const c of refused) byClass.set(c.storageClassName ?? '(none)', [...(byClass.get(c.storageClassName ?? '(none)') ?? []), c.name]);
      const where = [...byClass].map(([cls, pvcs]) => `StorageClass ${cls} (PVCs ${pvcs.join(', ')})`).join('; ');
      return {
        templateSize: current, grow: [],
        condition: cond('False', 'ExpansionNotAllowed', `cannot grow volumes to ${o.desired}: ${where} does not allow volume expansion `
          + `(allowVolumeExpansion is not true, or the class cannot be read); volumes and StatefulSet templates stay at ${current}`),
      };
    }
    return { templateSize: o.desired, grow: smaller.map((c) => c.name), condition: resizing(o, cond) };
  }
  return { templateSize: o.desired, grow: [], condition: resizing(o, cond) };
}

function resizing(o: VolumePlanInput, cond: (s: 'True' | 'False', r: string, m: string) => ConditionUpdate): ConditionUpdate | undefined {
  const want = quantityValue(o.desired);
  const pending = o.claims.filter((c) => c.capacity !== undefined && quantityValue(c.capacity) < want);
  if (pending.length) {
    return cond('True', 'Resizing', `${names(pending)} requested ${o.desired}; waiting for the storage driver `
      + `(capacity ${pending.map((c) => c.capacity).join(', ')})`);
  }
  return cond('True', 'Resized', `every PVC requests storage.size ${o.desired}`);
}

function names(claims: ObservedClaim[]): string {
  const n = claims.map((c) => c.name);
  return `PVC${n.length > 1 ? 's' : ''} ${n.slice(0, 5).join(', ')}${n.length > 5 ? ', ...' : ''}`;
}
