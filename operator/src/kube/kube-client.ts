/**
 * The operator's view of the API server: server-side apply under Tern's own field manager (objects and
 * the status subresource), reads, deletes and Events. Built on @kubernetes/client-node.
 */
import {
  ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy,
  setHeaderOptions, type CoreV1Event, type KubernetesObject, type V1Lease,
} from '@kubernetes/client-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIELD_MANAGER, GROUP, VERSION } from '../api/group.ts';

/** Where an in-cluster pod finds its ServiceAccount token (and client-node's in-cluster config reads it). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** No kubeconfig and not in a pod: client-node would fall back to http://localhost:8080 and retry it forever. */
export class NoKubeConfigError extends Error {}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

export function isNotFound(err: unknown): boolean {
  return statusCode(err) === 404;
}

export function isConflict(err: unknown): boolean {
  return statusCode(err) === 409;
}

export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { code?: unknown; statusCode?: unknown })?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A one-line reason from an API error, for conditions and Events. */
export function describeApiError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `${err.code}: ${message ?? String(err.body).slice(0, 300)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class KubeClient {
  readonly kc: KubeConfig;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly fieldManager: string;
  private readonly apiErrorListeners: ((verb: string, err: unknown) => void)[] = [];

  constructor(kc: KubeConfig, fieldManager = FIELD_MANAGER) {
    this.kc = kc;
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.fieldManager = fieldManager;
  }

  /**
   * The configuration kubectl would use: $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount.
   * Throws NoKubeConfigError naming what it looked for when none is there.
   */
  static fromDefault(env: NodeJS.ProcessEnv = process.env): KubeClient {
    const kubeconfigs = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
    const home = env.HOME || os.homedir();
    const homeConfig = home ? path.join(home, '.kube', 'config') : '';
    const inCluster = !!env.KUBERNETES_SERVICE_HOST && fs.existsSync(SERVICE_ACCOUNT_TOKEN);
    if (kubeconfigs.length === 0 && !(homeConfig && fs.existsSync(homeConfig)) && !inCluster) {
      throw new NoKubeConfigError(
        'no Kubernetes configuration found: KUBECONFIG is not set, '
        + `${homeConfig || '~/.kube/config'} does not exist, and this is not a pod (no KUBERNETES_SERVICE_HOST with a `
        + `ServiceAccount token at ${SERVICE_ACCOUNT_TOKEN}); set KUBECONFIG or run the operator in the cluster`);
    }
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new KubeClient(kc);
  }

  /** Told of every API call that failed with an error the caller sees (not the 404s and 409s handled here). */
  onApiError(listener: (verb: string, err: unknown) => void): void {
    this.apiErrorListeners.push(listener);
  }

  private failed(verb: string, err: unknown): never {
    for (const l of this.apiErrorListeners) l(verb, err);
    throw err;
  }

  /** Server-side apply: the object holds exactly the fields the operator owns; force takes them back from others. */
  apply<T extends KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(obj, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply)
      .catch((err: unknown) => this.failed('apply', err));
  }

  /** Server-side apply of a Tern custom resource's status subresource. */
  async applyStatus(kind: string, plural: string, namespace: string, name: string, status: unknown): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus({
      group: GROUP, version: VERSION, namespace, plural, name, fieldManager: this.fieldManager, force: true,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace }, status },
    }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)).catch((err: unknown) => this.failed('apply_status', err));
  }

  async get<T extends KubernetesObject>(apiVersion: string, kind: string, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.objects.read<T>({ apiVersion, kind, metadata: { name, namespace } } as never);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return this.failed('get', err);
    }
  }

  async list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.objects.list<T>(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector, 500, token)
        .catch((err: unknown) => this.failed('list', err));
      for (const item of page.items) out.push({ ...item, apiVersion, kind });
      token = page.metadata?._continue || undefined;
    } while (token);
    return out;
  }

  /**
   * Deletes; a missing object counts as deleted. Background propagation (the default) lets the GC remove dependants;
   * Orphan leaves them running without an owner.
   */
  async delete(ref: ObjectRef, opts: { gracePeriodSeconds?: number; uid?: string; propagation?: 'Background' | 'Orphan' } = {}): Promise<boolean> {
    try {
      await this.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } },
        undefined, undefined, opts.gracePeriodSeconds, undefined, opts.propagation ?? 'Background',
        // With a body the API server reads the options from it alone (query parameters are ignored), so they go in both.
        opts.uid ? {
          preconditions: { uid: opts.uid }, propagationPolicy: opts.propagation ?? 'Background',
          ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
        } : undefined,
      );
      return true;
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return false;
      return this.failed('delete', err);
    }
  }

  async createEvent(event: CoreV1Event): Promise<void> {
    await this.core.createNamespacedEvent({ namespace: event.metadata!.namespace!, body: event }).catch((err: unknown) => this.failed('create_event', err));
  }

  async getLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return this.failed('get_lease', err);
    }
  }
}
