/** status.conditions as Kubernetes API conventions define them (metav1.Condition). */
import * as s from './schema.ts';

export const conditionField = s.object({
  type: s.string({ maxLength: 316 }),
  status: s.enumOf(['True', 'False', 'Unknown']),
  observedGeneration: s.optional(s.integer({ minimum: 0 })),
  lastTransitionTime: s.string({ format: 'date-time' }),
  reason: s.string({ maxLength: 1024 }),
  message: s.string({ maxLength: 32768 }),
});

export type Condition = s.Infer<typeof conditionField>;
export type ConditionStatus = Condition['status'];

export const conditionsField = s.array(conditionField, { listType: 'map', mapKeys: ['type'] });

/**
 * Sets one condition in a copy of the list; lastTransitionTime changes only when status changes, so a
 * reconcile that finds nothing new writes nothing new.
 */
export function setCondition(
  list: readonly Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, now: Date = new Date(),
): Condition[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? out[i] : undefined;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const c: Condition = { ...next, lastTransitionTime };
  if (i >= 0) out[i] = c; else out.push(c);
  return out;
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

export function isTrue(list: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(list, type)?.status === 'True';
}
