/**
 * Stands in for a kubelet on a control plane without nodes: binds Pending pods to one Node, marks them
 * Running and Ready (unless a test holds them back), and confirms graceful deletions the way a kubelet
 * does once containers stop. It records the order in which pods were deleted.
 */
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../../src/kube/kube-client.ts';

export const NODE_NAME = 'fake-node';

export class FakeKubelet {
  /** Pod names in the order their deletion was confirmed. */
  readonly deletions: string[] = [];
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ip = 10;

  constructor(client: KubeClient, namespace: string) {
    this.client = client;
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    try {
      await this.client.core.createNode({ body: { metadata: { name: NODE_NAME, labels: { 'kubernetes.io/hostname': NODE_NAME } } } });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    this.running = true;
    const loop = async () => {
      if (!this.running) return;
      try {
        await this.tick();
      } catch {
        // the next tick retries
      }
      if (this.running) this.timer = setTimeout(loop, 150);
    };
    void loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Keep a pod not Ready (like a broker that cannot start) until release(). */
  hold(podName: string): void {
    this.held.add(podName);
  }

  release(podName: string): void {
    this.held.delete(podName);
  }

  private async tick(): Promise<void> {
    const pods = (await this.client.core.listNamespacedPod({ namespace: this.namespace })).items;
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      if (pod.metadata?.deletionTimestamp) {
        await this.client.core.deleteNamespacedPod({ name, namespace: this.namespace, gracePeriodSeconds: 0 }).catch(() => {});
        if (!this.deletions.includes(`${name}@${pod.metadata.uid}`)) this.deletions.push(`${name}@${pod.metadata.uid}`);
        continue;
      }
      if (!pod.spec?.nodeName) {
        await this.client.core.createNamespacedBinding({
          namespace: this.namespace, body: { metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME } },
        }).catch(() => {});
        continue;
      }
      const ready = !this.held.has(name);
      const isReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (pod.status?.phase === 'Running' && isReady === ready) continue;
      await this.setStatus(pod, ready);
    }
  }

  private async setStatus(pod: V1Pod, ready: boolean): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const flag = ready ? 'True' : 'False';
    const podIP = pod.status?.podIP ?? `10.244.0.${this.ip++ % 250}`;
    await this.client.core.patchNamespacedPodStatus({
      name: pod.metadata!.name!, namespace: this.namespace, fieldManager: 'fake-kubelet', force: true,
      body: {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata!.name!, namespace: this.namespace },
        status: {
          phase: 'Running', podIP, podIPs: [{ ip: podIP }], hostIP: '127.0.0.1', startTime: pod.status?.startTime ?? now as never,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now as never },
            { type: 'Initialized', status: 'True', lastTransitionTime: now as never },
            { type: 'ContainersReady', status: flag, lastTransitionTime: now as never },
            { type: 'Ready', status: flag, lastTransitionTime: now as never },
          ],
          containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
            name: c.name, image: c.image ?? '', imageID: '', ready, restartCount: 0, started: true,
            state: { running: { startedAt: now as never } },
          })),
        },
      },
    }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply));
  }
}
