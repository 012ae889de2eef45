/**
 * A real Kubernetes control plane for the integration tests (shared/k8s-harness.md option C): etcd +
 * kube-apiserver + kube-controller-manager as local processes on 127.0.0.1, PKI made with openssl, binaries
 * from scripts/k8s/ensure-binaries.sh (built from Go modules once, cached outside the repo).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../../broker/src/harness/free-port.ts';
import { tempDir } from '../../../broker/src/harness/temp-dir.ts';
import { WaitAbandoned, waitFor } from '../../../broker/src/harness/wait-for.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Binaries {
  KUBE_APISERVER: string;
  KUBE_CONTROLLER_MANAGER: string;
  ETCD: string;
  HELM: string;
  KUBECTL: string;
}

let binaries: Binaries | undefined;
export function ensureBinaries(): Binaries {
  if (binaries) return binaries;
  const out = execFileSync(path.join(REPO_ROOT, 'scripts/k8s/ensure-binaries.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const entries = out.trim().split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  binaries = Object.fromEntries(entries) as unknown as Binaries;
  return binaries;
}

export interface ControlPlane {
  dir: string;
  kubeconfigPath: string;
  kc: KubeConfig;
  client: KubeClient;
  version: string;
  bin: Binaries;
  /** Runs the packaged kubectl against this cluster (asynchronously: an in-process operator keeps running). */
  kubectl(args: string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makePki(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=tern-test-ca']);
  const ext = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  ext('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n');
  ext('client.ext', 'extendedKeyUsage=clientAuth\n');
  for (const [name, subj, extFile] of [['apiserver', '/CN=kube-apiserver', 'server.ext'], ['admin', '/O=system:masters/CN=admin', 'client.ext']] as const) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', extFile]);
  }
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfigText(dir: string, port: number): string {
  const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: tern-test
  cluster:
    server: https://127.0.0.1:${port}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: admin
  user:
    client-certificate-data: ${b64('admin.crt')}
    client-key-data: ${b64('admin.key')}
contexts:
- name: tern-test
  context: {cluster: tern-test, user: admin, namespace: default}
current-context: tern-test
`;
}

function get(dir: string, port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = https.get({
      host: '127.0.0.1', port, path: urlPath, timeout: 2000,
      ca: fs.readFileSync(path.join(dir, 'ca.crt')), cert: fs.readFileSync(path.join(dir, 'admin.crt')), key: fs.readFileSync(path.join(dir, 'admin.key')),
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

export async function startControlPlane(): Promise<ControlPlane> {
  const bin = ensureBinaries();
  const dir = tempDir('tern-k8s-', fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
  makePki(dir);
  const [etcdPort, peerPort, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const run = (name: string, cmd: string, args: string[]) => {
    const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
    const p = spawn(cmd, args, { stdio: ['ignore', log, log], cwd: dir });
    fs.closeSync(log);
    procs.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.TERN_KEEP_K8S) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    run('etcd', bin.ETCD, [
      '--data-dir', path.join(dir, 'etcd'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`,
      '--unsafe-no-fsync', '--log-level', 'warn',
    ]);
    const apiserver = run('kube-apiserver', bin.KUBE_APISERVER, [
      `--etcd-servers=${etcdUrl}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      '--tls-cert-file=apiserver.crt', '--tls-private-key-file=apiserver.key', '--client-ca-file=ca.crt',
      '--service-account-key-file=sa.pub', '--service-account-signing-key-file=sa.key',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=RBAC', '--allow-privileged=true', `--cert-dir=${path.join(dir, 'certs')}`,
      '--enable-priority-and-fairness=false', '--v=1',
    ]);
    const kubeconfigPath = path.join(dir, 'admin.kubeconfig');
    fs.writeFileSync(kubeconfigPath, kubeconfigText(dir, apiPort));
    await waitFor('kube-apiserver /readyz', async () => {
      if (apiserver.exitCode !== null) throw new WaitAbandoned(`kube-apiserver exited: ${fs.readFileSync(path.join(dir, 'kube-apiserver.log'), 'utf8').slice(-2000)}`);
      return (await get(dir, apiPort, '/readyz')).status === 200;
    }, 60_000, 250);
    run('kube-controller-manager', bin.KUBE_CONTROLLER_MANAGER, [
      `--kubeconfig=${kubeconfigPath}`, `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, '--leader-elect=false',
      '--service-account-private-key-file=sa.key', '--root-ca-file=ca.crt', '--use-service-account-credentials',
      '--controllers=*,-nodeipam,-nodelifecycle', '--concurrent-statefulset-syncs=5', '--v=1',
    ]);
    const version = JSON.parse((await get(dir, apiPort, '/version')).body).gitVersion as string;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const client = new KubeClient(kc);
    // The default ServiceAccount shows the controller manager is up.
    await waitFor('kube-controller-manager (default ServiceAccount)', async () =>
      (await client.core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })).metadata?.name, 60_000, 300);
    const kubectl = (args: string[], input?: string) => new Promise<string>((resolve, reject) => {
      const child = execFile(bin.KUBECTL, ['--kubeconfig', kubeconfigPath, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr }));
        else resolve(stdout);
      });
      child.stdin!.end(input ?? '');
    });
    return { dir, kubeconfigPath, kc, client, version, bin, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
