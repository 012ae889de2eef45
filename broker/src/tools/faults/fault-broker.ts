/** The broker process of the fault run: spawned on the run's store, killed, and watched through its port and its log. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { WaitAbandoned, waitFor, waitForPort as waitForPortOf } from '../../harness/wait-for.ts';

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

/** Waits for the broker's port; a broker that exits or stays silent fails the check with the tail of its log. */
export async function waitForPort(port: number, broker: BrokerProcess, logPath: string, timeoutMs = 60_000): Promise<void> {
  try {
    await waitForPortOf(port, timeoutMs, () => (broker.running ? undefined : 'the broker exited while starting'));
  } catch (err) {
    throw new CheckFailure(`${(err as Error).message}; its log:\n${tail(logPath)}`);
  }
}

/** Waits until the broker's log, past byte `from`, says `what` (matched as a substring: the log format may change). */
export async function waitForLog(logPath: string, from: number, what: string, broker: BrokerProcess, timeoutMs = 60_000): Promise<void> {
  const said = (): boolean => {
    const fd = fs.openSync(logPath, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      return buf.toString('utf8').includes(what);
    } finally {
      fs.closeSync(fd);
    }
  };
  try {
    // Polled every 5 ms: a startup kill aims at the moments right after this line.
    await waitFor(`the broker to log "${what}"`, () => {
      if (said()) return true;
      if (!broker.running) throw new WaitAbandoned(`the broker exited before logging "${what}"`);
      return false;
    }, timeoutMs, 5);
  } catch (err) {
    throw new CheckFailure(`${(err as Error).message}; its log:\n${tail(logPath)}`);
  }
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
