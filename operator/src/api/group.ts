/** The API group of Tern's custom resources and the names the operator stamps on what it manages. */
export const GROUP = 'tern.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Server-side apply field manager: every field the operator owns is recorded under this name. */
export const FIELD_MANAGER = 'tern-operator';

/** Set to "true" on a BrokerCluster, Topic or ConsumerGroup to stop reconciling it (nothing is changed or deleted). */
export const PAUSE_ANNOTATION = 'tern.io/paused';

/** Finalizer that lets the operator delete a Topic or ConsumerGroup from the brokers before the object goes. */
export const FINALIZER = 'tern.io/broker-cleanup';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: Date;
  creationTimestamp?: Date;
}

/** A custom resource as read from the API server (spec already defaulted by it). */
export interface Resource<Spec, Status> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export function isPaused(meta: { annotations?: Record<string, string> }): boolean {
  return meta.annotations?.[PAUSE_ANNOTATION] === 'true';
}
