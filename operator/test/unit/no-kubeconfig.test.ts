/**
 * Outside a cluster with no kubeconfig, the operator process exits at once and says what it looked for, instead of
 * dialling http://localhost:8080 forever (client-node's last resort).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../broker/src/harness/temp-dir.ts';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/main.ts');

function runOperator(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Bounded: a process still running after 20 s is the defect this test is about.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: performance.now() - t0 });
    });
  });
}

describe('operator without any Kubernetes configuration', () => {
  it('exits non-zero at once, naming KUBECONFIG, ~/.kube/config and the in-cluster ServiceAccount', async () => {
    const home = tempDir('tern-no-kube-');
    const r = await runOperator({ HOME: home, HEALTH_PORT: '0' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('KUBECONFIG is not set');
    expect(r.stderr).toContain(path.join(home, '.kube', 'config'));
    expect(r.stderr).toContain('/var/run/secrets/kubernetes.io/serviceaccount/token');
    expect(r.stderr).not.toMatch(/localhost:8080/);
  });
});
