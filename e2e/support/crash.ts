/**
 * A crash, not a graceful delete: SIGKILL to a container's main process from the node's container runtime.
 * The broker is PID 1 in its container, which ignores signals sent from inside, so the kill comes from outside:
 * the local cluster's containerd (make cluster-up) through ctr, or a kind node through `docker exec <node> ctr`.
 */
import fs from 'node:fs';
import { KUBECONFIG, REPO_ROOT, run, type Json } from './kube.ts';

const LOCAL_CTR_SOCK = '/run/tern-cluster/containerd.sock';
const LOCAL_KUBECONFIG = `${REPO_ROOT}/.cache/cluster/kubeconfig`;

/** SIGKILL to the first container of `pod` (a pod object as kubectl returns it). */
export async function killContainer(pod: Json): Promise<void> {
  const status = pod.status?.containerStatuses?.[0];
  const id = /^containerd:\/\/(.+)$/.exec(status?.containerID ?? '')?.[1];
  if (!id) throw new Error(`pod ${pod.metadata.name}: no running containerd container (containerID ${status?.containerID})`);
  const ctrArgs = ['-n', 'k8s.io', 'task', 'kill', '-s', 'SIGKILL', id];
  const local = KUBECONFIG === LOCAL_KUBECONFIG && fs.existsSync(LOCAL_CTR_SOCK);
  const r = local
    ? await run('ctr', ['-a', LOCAL_CTR_SOCK, ...ctrArgs], { timeoutMs: 30_000 })
    : await run('docker', ['exec', pod.spec.nodeName, 'ctr', ...ctrArgs], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    throw new Error(`SIGKILL to container ${id.slice(0, 12)} of ${pod.metadata.name} failed (${local ? 'local containerd' : `docker exec ${pod.spec.nodeName}`}, exit ${r.code}): ${r.stderr.trim()}`);
  }
}
