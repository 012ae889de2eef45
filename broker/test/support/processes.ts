import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

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

/** Waits until host:port accepts connections, or throws after timeoutMs with what the process said. */
export async function waitForPort(port: number, timeoutMs = 15_000, proc?: RunningProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms${proc ? `; process output:\n${proc.output()}` : ''}`);
}

/** A free port on 127.0.0.1 (and, for brokers, its +1 for HA). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    if (port < 65000) return port;
  }
}

/** Waits until the namesrv lists `brokerName` with broker `brokerId` (a broker's port opens before it registers). */
export async function waitForBrokerRegistered(namesrvAddr: string, brokerName: string, brokerId = 0, timeoutMs = 15_000): Promise<void> {
  const { RemotingClient, createRequest, RequestCode } = await import('../../src/remoting/index.ts');
  const { createLogger } = await import('../../src/logging/logger.ts');
  const client = new RemotingClient({ logger: createLogger('test') });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const r = await client.invoke(namesrvAddr, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
        const info = JSON.parse(r.body?.toString() || '{}') as { brokerAddrTable?: Record<string, { brokerAddrs: Record<string, string> }> };
        if (info.brokerAddrTable?.[brokerName]?.brokerAddrs[String(brokerId)]) return;
      } catch {
        // namesrv not answering yet
      }
      if (Date.now() > deadline) throw new Error(`broker ${brokerName}/${brokerId} not registered with ${namesrvAddr} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await client.close();
  }
}
