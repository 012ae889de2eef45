/**
 * The `lock` file: one store, one broker.
 *
 * Why flock(2), taken through util-linux's `flock` command on an inherited descriptor: Node has no
 * file-lock API and we ship no native code. A flock lock belongs to the open file description, not
 * to the process that asked for it; the child locks the description it shares with us and exits,
 * and the lock stays with our descriptor. The kernel drops it when the last descriptor closes, so
 * it dies with the broker however the broker dies (SIGKILL, OOM kill), with no stale-lock cleanup
 * and no PID guessing. It also holds across containers that share a volume on one kernel, where
 * PIDs mean nothing. Node opens files close-on-exec, so our own children never inherit the lock.
 *
 * Where the `flock` command is missing (a stripped image), we fall back to O_EXCL on `lock.pid` plus
 * a liveness check of the PID inside, which is weaker (PID reuse, PID namespaces) and says so.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export class StoreLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreLockedError';
  }
}

/** `flock --nonblock` exits with 1 when someone else holds the lock. */
const FLOCK_CONFLICT = 1;

export class StoreLock {
  readonly path: string;
  /** 'flock', or 'pidfile' when the flock command was not available. */
  readonly mechanism: 'flock' | 'pidfile';
  private fd: number;

  private constructor(path: string, fd: number, mechanism: 'flock' | 'pidfile') {
    this.path = path;
    this.fd = fd;
    this.mechanism = mechanism;
  }

  /** Takes the lock or throws StoreLockedError naming the holder. */
  static acquire(path: string, onFallback: (why: string) => void = () => {}): StoreLock {
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    const r = spawnSync('flock', ['--nonblock', '--exclusive', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 });
    if (r.error === undefined && r.status === 0) {
      writeHolder(fd);
      return new StoreLock(path, fd, 'flock');
    }
    if (r.error === undefined && r.status === FLOCK_CONFLICT) {
      const holder = readHolder(fd);
      fs.closeSync(fd);
      throw new StoreLockedError(
        `the store at ${dirOf(path)} is in use by another broker${holder ? ` (${holder})` : ''}; ` +
          'two brokers can never share one store',
      );
    }
    fs.closeSync(fd);
    const why = r.error !== undefined ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : `exit ${r.status}: ${r.stderr?.toString().trim()}`;
    onFallback(`the flock command failed (${why}); locking ${path}.pid with O_EXCL and a PID check instead`);
    return StoreLock.acquirePidFile(`${path}.pid`);
  }

  private static acquirePidFile(pidPath: string): StoreLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(pidPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
        writeHolder(fd);
        return new StoreLock(pidPath, fd, 'pidfile');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(fs.readFileSync(pidPath, 'utf8').split(/\s/)[1]);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new StoreLockedError(`the store at ${dirOf(pidPath)} is in use by another broker (pid ${pid}); two brokers can never share one store`);
      }
      // The holder is gone (or it was us in an earlier life): the lock is stale.
      fs.rmSync(pidPath, { force: true });
    }
    throw new StoreLockedError(`could not take ${pidPath}`);
  }

  release(): void {
    if (this.fd < 0) return;
    if (this.mechanism === 'pidfile') fs.rmSync(this.path, { force: true });
    // Closing our descriptor drops the flock; the file itself stays, as RocketMQ's does.
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function dirOf(path: string): string {
  return path.replace(/\/[^/]*$/, '') || '/';
}

function writeHolder(fd: number): void {
  const text = `pid ${process.pid} since ${new Date().toISOString()}\n`;
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, text, 0, 'utf8');
}

function readHolder(fd: number): string {
  try {
    const buf = Buffer.alloc(200);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n).trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a live process holds the store's lock, without changing anything (for offline tools):
 * a shared flock conflicts with the broker's exclusive one. Undefined when it cannot tell.
 */
export function isStoreLocked(path: string): boolean | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  } catch {
    return fs.existsSync(`${path}.pid`) ? undefined : false;
  }
  try {
    const r = spawnSync('flock', ['--nonblock', '--shared', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd], timeout: 10_000 });
    if (r.error !== undefined) return undefined;
    return r.status === FLOCK_CONFLICT;
  } finally {
    fs.closeSync(fd);
  }
}
