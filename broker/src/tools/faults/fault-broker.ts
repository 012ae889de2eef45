/** The broker process of the fault run: spawned on the run's store, killed, and watched through its port and its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const BROKER_MAIN = path.resolve(import.meta.dirname, '../../cli/main.ts');

/** A check of the run failed: reported as such, without a stack. */
export class CheckFailure extends Error {}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One broker process on the store, its output kept in a log file of the run. */
export class BrokerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(configPath: string, logPath: string) {
    const log = fs.openSync(logPath, 'a');
    this.child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', BROKER_MAIN, 'broker', '-c', configPath], {
      stdio: ['ignore', log, log],
      env: { ...process.env, TERN_LOG_LEVEL: 'info' },
    });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
      // Node itself could not be started: report it like an exit, with the reason in the log.
      this.child.on('error', (err) => {
        fs.appendFileSync(logPath, `spawn failed: ${err.message}\n`);
        this.exitCode = -1;
        resolve(-1);
      });
    });
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }
}

export async function waitForPort(port: number, broker: BrokerProcess, logPath: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!broker.running) throw new CheckFailure(`the broker exited while starting; its log:\n${tail(logPath)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new CheckFailure(`the broker did not listen within ${timeoutMs} ms; its log:\n${tail(logPath)}`);
}

/** Waits until the broker's log, past byte `from`, says `what` (matched as a substring: the log format may change). */
export async function waitForLog(logPath: string, from: number, what: string, broker: BrokerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fd = fs.openSync(logPath, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      if (buf.toString('utf8').includes(what)) return;
    } finally {
      fs.closeSync(fd);
    }
    if (!broker.running) throw new CheckFailure(`the broker exited before logging "${what}"; its log:\n${tail(logPath)}`);
    await sleep(5);
  }
  throw new CheckFailure(`the broker did not log "${what}" within ${timeoutMs} ms; its log:\n${tail(logPath)}`);
}

export function logSize(logPath: string): number {
  return fs.existsSync(logPath) ? fs.statSync(logPath).size : 0;
}

export function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
