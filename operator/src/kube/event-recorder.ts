/** Kubernetes Events for every action the operator takes, so `kubectl describe` and GitOps tools show it. */
import type { KubeClient, ObjectRef } from './kube-client.ts';

export type EventType = 'Normal' | 'Warning';

export interface Recorder {
  record(obj: ObjectRef, type: EventType, reason: string, message: string): Promise<void>;
}

export class EventRecorder implements Recorder {
  private readonly client: KubeClient;
  private readonly component: string;
  /** Last message per object+reason: a reconcile that repeats itself does not repeat its Events. */
  private readonly last = new Map<string, { message: string; at: number }>();
  private readonly repeatAfterMs: number;

  constructor(client: KubeClient, component = 'tern-operator', repeatAfterMs = 10 * 60_000) {
    this.client = client;
    this.component = component;
    this.repeatAfterMs = repeatAfterMs;
  }

  async record(obj: ObjectRef, type: EventType, reason: string, message: string): Promise<void> {
    const key = `${obj.kind}/${obj.namespace}/${obj.name}/${reason}`;
    const now = Date.now();
    const prev = this.last.get(key);
    if (prev && prev.message === message && now - prev.at < this.repeatAfterMs) return;
    this.last.set(key, { message, at: now });
    const time = new Date(now);
    try {
      await this.client.createEvent({
        metadata: { namespace: obj.namespace, name: `${obj.name}.${now.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}` },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.name, namespace: obj.namespace, ...(obj.uid ? { uid: obj.uid } : {}) },
        type, reason, message: message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: time, lastTimestamp: time, count: 1,
      });
    } catch {
      // Events are best effort: a failure to record must never fail a reconcile.
    }
  }
}
