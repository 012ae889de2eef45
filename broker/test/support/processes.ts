import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor, waitForPort } from '../../src/harness/wait-for.ts';

export const BROKER_ROOT = path.resolve(import.meta.dirname, '../..');
export const NODE = path.resolve(BROKER_ROOT, '../node_modules/.bin/node');
export const TERN_MAIN = path.join(BROKER_ROOT, 'src/cli/main.ts');

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `tern <args>` as a real child process with Node 24's type stripping. */
export function spawnTern(args: string[], env: Record<string, string> = {}): RunningProcess {
  const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', TERN_MAIN, ...args], {
    cwd: BROKER_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Waits until `proc` listens on `port`; gives up as soon as it exits, and fails with what it printed. */
export async function waitForListening(proc: RunningProcess, port: number, timeoutMs = 15_000): Promise<void> {
  const exited = () => {
    const how = proc.child.exitCode ?? proc.child.signalCode;
    return how === null ? undefined : `the process exited (${how}) before listening on ${port}`;
  };
  try {
    await waitForPort(port, timeoutMs, exited);
  } catch (err) {
    throw new Error(`${(err as Error).message}; process output:\n${proc.output()}`);
  }
}

/** Waits until the namesrv lists `brokerName` with broker `brokerId` (a broker's port opens before it registers). */
export async function waitForBrokerRegistered(namesrvAddr: string, brokerName: string, brokerId = 0, timeoutMs = 15_000): Promise<void> {
  const { RemotingClient, createRequest, RequestCode } = await import('../../src/remoting/index.ts');
  const { createLogger } = await import('../../src/logging/logger.ts');
  const client = new RemotingClient({ logger: createLogger('test') });
  try {
    await waitFor(`broker ${brokerName}/${brokerId} registered with ${namesrvAddr}`, async (note) => {
      const r = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
      const info = JSON.parse(r.body?.toString() || '{}') as { brokerAddrTable?: Record<string, { brokerAddrs: Record<string, string> }> };
      note(`brokers ${JSON.stringify(info.brokerAddrTable ?? {})}`);
      return Boolean(info.brokerAddrTable?.[brokerName]?.brokerAddrs[String(brokerId)]);
    }, timeoutMs, 50);
  } finally {
    await client.close();
  }
}
