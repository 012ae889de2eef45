/**
 * The lazy filesystem (scripts/lazyfs, go-fuse) as the fault run uses it: a mount over the store
 * that holds every write in memory until fsync/fdatasync and, on `crash`, forgets all of it.
 *
 * Only file data and sizes are volatile; namespace operations (create, rename, unlink, mkdir) are
 * durable at once and directory fsync does nothing (scripts/lazyfs/main.go states the model).
 * The mount never outlives the run: lazyfs unmounts on SIGTERM and when its stdin (a pipe from
 * this process) closes, so a fault run that dies any way takes the mount with it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ENSURE_SCRIPT = path.resolve(import.meta.dirname, '../../../../scripts/lazyfs/ensure-lazyfs.sh');

/** Builds lazyfs when its source changed (cached by source hash) and returns the binary's path. */
export function lazyFsBinary(): string {
  const r = spawnSync(ENSURE_SCRIPT, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`building lazyfs failed (${ENSURE_SCRIPT}):\n${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout.trim();
}

/** Mount points from /proc/self/mountinfo (its fifth field; spaces and the like come octal-escaped). */
export function mountPoints(): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => l.split(' ')[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export function isMounted(dir: string): boolean {
  return mountPoints().includes(path.resolve(dir));
}

/** Mounts of this process still up: detached synchronously if the process exits with them. */
const live = new Set<LazyFsMount>();
process.on('exit', () => {
  for (const m of live) m.detachNow();
});

export class LazyFsMount {
  readonly mountPoint: string;
  private readonly control: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(mountPoint: string, control: string, child: ChildProcess) {
    this.mountPoint = mountPoint;
    this.control = control;
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.on('data', (d) => (this.stderr += d));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Mounts `backing` (what was synced) at `mountPoint`; resolves once the mount is live. */
  static async mount(binary: string, backing: string, mountPoint: string, control: string): Promise<LazyFsMount> {
    fs.mkdirSync(backing, { recursive: true });
    fs.mkdirSync(mountPoint, { recursive: true });
    // stdin stays a pipe we never write to: when this process dies, lazyfs reads end of file and unmounts.
    const child = spawn(binary, ['-backing', backing, '-mount', mountPoint, '-control', control], { stdio: ['pipe', 'pipe', 'pipe'] });
    const m = new LazyFsMount(mountPoint, control, child);
    live.add(m);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('mounted\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`lazyfs exited with ${code} before mounting ${mountPoint}: ${m.stderr.trim()}`)));
      child.once('error', reject);
    });
    return m;
  }

  private async ask(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.control);
      let answer = '';
      s.on('data', (d) => {
        answer += d;
        if (answer.includes('\n')) {
          s.destroy();
          const line = answer.split('\n')[0]!;
          if (line.startsWith('error')) reject(new Error(`lazyfs ${command}: ${line}`));
          else resolve(line);
        }
      });
      s.on('error', reject);
      s.write(command + '\n');
    });
  }

  async unsynced(): Promise<{ bytes: number; files: number }> {
    const [bytes, files] = (await this.ask('unsynced')).split(' ').map(Number);
    return { bytes: bytes!, files: files! };
  }

  /**
   * The power cut: from now on every change fails with EIO, and every unsynced byte is gone
   * (but the first `keep` bytes of the page written last, a torn write). Returns what it did.
   */
  crash(keep: number): Promise<string> {
    return this.ask(`crash ${keep}`);
  }

  /** Unmounts (after a crash: what was synced stays; otherwise all is written back, a clean shutdown). */
  async unmount(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
    live.delete(this);
    if (isMounted(this.mountPoint)) {
      // lazyfs died without unmounting (SIGKILLed): detach the dead mount ourselves.
      spawnSync('umount', ['-l', this.mountPoint]);
      if (isMounted(this.mountPoint)) throw new Error(`${this.mountPoint} is still mounted after lazyfs exited: ${this.stderr.trim()}`);
    }
  }

  /** For process exit, where nothing can be awaited: detach the mount, then stop lazyfs. */
  detachNow(): void {
    if (isMounted(this.mountPoint)) spawnSync('umount', ['-l', this.mountPoint]);
    this.child.kill('SIGKILL');
  }
}
