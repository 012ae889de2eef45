import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LazyFsMount, isMounted, lazyFsBinary } from '../../src/tools/faults/lazy-fs.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';

let binary = '';
const mounts: LazyFsMount[] = [];

async function mountIn(dir: string): Promise<LazyFsMount> {
  const m = await LazyFsMount.mount(binary, path.join(dir, 'backing'), path.join(dir, 'mnt'), path.join(dir, 'control.sock'));
  mounts.push(m);
  return m;
}

beforeAll(() => {
  binary = lazyFsBinary(); // builds it on a fresh machine (Go module proxy), cached by source hash
}, 300_000);

afterEach(async () => {
  for (const m of mounts.splice(0)) await m.unmount();
});

describe('lazyfs (the fault run\'s power cut)', () => {
  it('serves unsynced writes, keeps only what was fsynced after a crash, and refuses writes after it', async () => {
    const dir = tempDir('tern-lazyfs-');
    const m = await mountIn(dir);
    const file = path.join(m.mountPoint, 'segment');
    const fd = fs.openSync(file, 'w+');
    fs.writeSync(fd, 'durable|');
    fs.fdatasyncSync(fd);
    fs.writeSync(fd, 'volatile', 8);
    fs.ftruncateSync(fd, 64 * 1024); // pre-allocation, like a new CommitLog segment
    expect(fs.fstatSync(fd).size).toBe(64 * 1024);
    expect(fs.readFileSync(file).subarray(0, 16).toString()).toBe('durable|volatile');
    expect(fs.readFileSync(path.join(dir, 'backing', 'segment')).toString()).toBe('durable|');
    expect(await m.unsynced()).toEqual({ bytes: 4096, files: 1 });

    expect(await m.crash(0)).toMatch(/^dropped 4096 unsynced bytes in 1 files, no page torn$/);
    expect(() => fs.writeSync(fd, 'after the crash', 0)).toThrow(/EIO/);
    expect(() => fs.fdatasyncSync(fd)).toThrow(/EIO/);
    fs.closeSync(fd);
    await m.unmount();
    expect(isMounted(m.mountPoint)).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'backing', 'segment')).toString()).toBe('durable|');
  });

  it('keeps a prefix of the last unsynced page when the crash tears it', async () => {
    const dir = tempDir('tern-lazyfs-');
    const m = await mountIn(dir);
    const fd = fs.openSync(path.join(m.mountPoint, 'log'), 'w+');
    fs.writeSync(fd, Buffer.alloc(4096, 'a'));
    fs.writeSync(fd, Buffer.alloc(4096, 'b'), 0, 4096, 4096);
    expect(await m.crash(100)).toBe('dropped 8192 unsynced bytes in 1 files, kept 100 bytes of the last unsynced page (at 4096)');
    fs.closeSync(fd);
    await m.unmount();
    const backing = fs.readFileSync(path.join(dir, 'backing', 'log'));
    expect(backing.length).toBe(4196);
    expect(backing.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(backing.subarray(4096).toString()).toBe('b'.repeat(100));
  });

  it('writes everything back on an unmount without a crash (a clean shutdown), renames and copies included', async () => {
    const dir = tempDir('tern-lazyfs-');
    const m = await mountIn(dir);
    fs.writeFileSync(path.join(m.mountPoint, 'topics.json.tmp'), '{"a":1}');
    fs.renameSync(path.join(m.mountPoint, 'topics.json.tmp'), path.join(m.mountPoint, 'topics.json'));
    expect(fs.readFileSync(path.join(dir, 'backing', 'topics.json'), 'utf8')).toBe(''); // renamed at once, data not synced
    // A copy (copy_file_range, or its fallback) must read the unsynced source and write into the volatile store.
    fs.copyFileSync(path.join(m.mountPoint, 'topics.json'), path.join(m.mountPoint, 'topics.json.bak'));
    expect(fs.readFileSync(path.join(m.mountPoint, 'topics.json.bak'), 'utf8')).toBe('{"a":1}');
    expect(fs.readFileSync(path.join(dir, 'backing', 'topics.json.bak'), 'utf8')).toBe('');
    await m.unmount();
    expect(fs.readFileSync(path.join(dir, 'backing', 'topics.json'), 'utf8')).toBe('{"a":1}');
    expect(fs.readFileSync(path.join(dir, 'backing', 'topics.json.bak'), 'utf8')).toBe('{"a":1}');
  });

  it('unmounts when its parent goes away (end of stdin) and when it was SIGKILLed', async () => {
    const dir = tempDir('tern-lazyfs-');
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(path.join(dir, 'backing'));
    fs.mkdirSync(mnt);
    const child = spawn(binary, ['-backing', path.join(dir, 'backing'), '-mount', mnt, '-control', path.join(dir, 'c.sock')], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(isMounted(mnt)).toBe(true);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end(); // what the kernel does to the pipe when the parent dies
    expect(await exited).toBe(0);
    expect(isMounted(mnt)).toBe(false);

    const m = await mountIn(tempDir('tern-lazyfs-'));
    process.kill(m.pid!, 'SIGKILL');
    await m.unmount(); // finds the dead mount and detaches it
    expect(isMounted(m.mountPoint)).toBe(false);
  });
});
