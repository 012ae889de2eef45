/**
 * Watches through kubernetes-fluent-client (list + watch with relisting and resync). A watch only says
 * which key to reconcile; the reconcile reads everything itself, so a missed or repeated event is harmless.
 */
import { GenericKind, K8s, kind, RegisterKind, WatchEvent, type GenericClass, type WatchCfg } from 'kubernetes-fluent-client';
import { GROUP, VERSION } from '../api/group.ts';

export class BrokerClusterKind extends GenericKind {}
export class TopicKind extends GenericKind {}
export class ConsumerGroupKind extends GenericKind {}

let registered = false;
export function registerTernKinds(): void {
  if (registered) return;
  registered = true;
  RegisterKind(BrokerClusterKind, { group: GROUP, version: VERSION, kind: 'BrokerCluster', plural: 'brokerclusters' });
  RegisterKind(TopicKind, { group: GROUP, version: VERSION, kind: 'Topic', plural: 'topics' });
  RegisterKind(ConsumerGroupKind, { group: GROUP, version: VERSION, kind: 'ConsumerGroup', plural: 'consumergroups' });
}

export interface WatchedObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

export type WatchTarget = 'BrokerCluster' | 'Topic' | 'ConsumerGroup' | 'StatefulSet' | 'Pod';

export interface WatchHandle {
  close(): void;
}

const MANAGED = ['app.kubernetes.io/managed-by', 'tern-operator'] as const;

/** Starts one watch; namespace undefined watches all namespaces. */
export async function startWatch(
  target: WatchTarget, namespace: string | undefined, onChange: (obj: WatchedObject) => void, onError: (message: string) => void,
): Promise<WatchHandle> {
  registerTernKinds();
  const cb = (obj: WatchedObject) => onChange(obj);
  const cfg: WatchCfg = { resyncDelaySec: 5, relistIntervalSec: 300, lastSeenLimitSeconds: 120 };
  const watcher = target === 'BrokerCluster' ? watchModel(BrokerClusterKind, namespace, false, cb, cfg)
    : target === 'Topic' ? watchModel(TopicKind, namespace, false, cb, cfg)
      : target === 'ConsumerGroup' ? watchModel(ConsumerGroupKind, namespace, false, cb, cfg)
        : target === 'StatefulSet' ? watchModel(kind.StatefulSet, namespace, true, cb, cfg)
          : watchModel(kind.Pod, namespace, true, cb, cfg);
  for (const ev of [WatchEvent.NETWORK_ERROR, WatchEvent.DATA_ERROR, WatchEvent.LIST_ERROR, WatchEvent.WATCH_ERROR]) {
    watcher.events.on(ev, (err: unknown) => onError(`${target} watch: ${ev}: ${err instanceof Error ? err.message : String(err)}`));
  }
  await watcher.start();
  return { close: () => watcher.close() };
}

function watchModel<T extends GenericClass>(
  model: T, namespace: string | undefined, managedOnly: boolean, cb: (obj: WatchedObject) => void, cfg: WatchCfg,
) {
  const base = K8s(model);
  const scopedTo = namespace ? base.InNamespace(namespace) : base;
  const filtered = managedOnly ? scopedTo.WithLabel(...MANAGED) : scopedTo;
  return filtered.Watch((obj) => cb(obj as WatchedObject), cfg);
}
