import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mountPoints } from '../../src/tools/faults/lazy-fs.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';

const BROKER_ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs a tool of src/tools as a real process; resolves with its exit code and output. */
function runTool(script: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(BROKER_ROOT, script), ...args], {
      cwd: BROKER_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('make faults (small N in CI)', () => {
  // A fresh seed each CI run widens coverage; FAULTS_SEED replays one (the seed is printed first).
  // CI machines are loaded: a handful of short iterations may ack little, so these runs ask for at least one ack
  // (make faults keeps the default minimum; a test below proves the minimum fails a run).
  const seed = process.env.FAULTS_SEED ?? String(Math.floor(Math.random() * 2 ** 31));

  it('loses no acknowledged message across SIGKILLs and torn writes', async () => {
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '4', '--seed', seed, '--max-run-ms', '400', '--fs', 'plain', '--min-acked', '1'], 150_000);
    const lines = r.output.trim().split('\n');
    expect(lines[0], r.output).toMatch(new RegExp(`^seed ${seed} `));
    expect(lines.at(-1), r.output).toMatch(/^4 iterations, [1-9]\d* acked messages checked, 0 acked lost$/);
    expect(r.code, r.output).toBe(0);
  }, 160_000);

  it('loses no acknowledged message when every kill also drops what was not fsynced (lazy fs), and leaves no mount', async () => {
    const dir = tempDir('tern-faults-lazy-');
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '4', '--seed', seed, '--max-run-ms', '400', '--fs', 'lazy', '--dir', dir, '--min-acked', '1'], 200_000);
    expect(r.output, r.output).toMatch(/lazy fs dropped \d+ unsynced bytes/);
    expect(r.output.trim().split('\n').at(-1), r.output).toMatch(/^4 iterations, [1-9]\d* acked messages checked, 0 acked lost$/);
    expect(r.code, r.output).toBe(0);
    expect(mountPoints().filter((m) => m.startsWith(dir))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 210_000);

  it('catches a broker that acknowledges before fdatasync on the lazy fs (the control: the run must fail)', async () => {
    const dir = tempDir('tern-faults-wrong-'); // a failed run keeps its store: this one is expected to fail
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '4', '--seed', seed, '--max-run-ms', '400', '--fs', 'lazy', '--min-acked', '1', '--dir', dir], 200_000,
      { TERN_TEST_ACK_BEFORE_SYNC: '1' });
    fs.rmSync(dir, { recursive: true, force: true });
    const lost = /^4 iterations, \d+ acked messages checked, (\d+) acked lost$/m.exec(r.output);
    expect(lost, r.output).not.toBeNull();
    expect(Number(lost![1]), r.output).toBeGreaterThan(0);
    expect(r.code, r.output).toBe(1);
  }, 210_000);

  it('kills its broker and unmounts the lazy fs when interrupted', async () => {
    const dir = tempDir('tern-faults-sigint-');
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(BROKER_ROOT, 'src/tools/faults/fault-run.ts'),
      '--iterations', '50', '--seed', seed, '--fs', 'lazy', '--dir', dir], { cwd: BROKER_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => {
      output += d;
      if (output.includes('iter   1:')) resolve(); // the second broker life is starting on a fresh mount
    }));
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(output).toMatch(/SIGINT: killing the broker/);
    expect(mountPoints().filter((m) => m.startsWith(dir))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('fails a run that acknowledged fewer messages than the stated minimum', async () => {
    const dir = tempDir('tern-faults-few-');
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '1', '--seed', '5', '--max-run-ms', '100', '--fs', 'plain', '--min-acked', '1000000', '--dir', dir], 120_000);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.output, r.output).toMatch(/^sends: \d+ acked \(minimum 1000000: TOO FEW, the run proves little\), \d+ failed or not acknowledged while a broker was being killed, 0 failed before any kill$/m);
    expect(r.code, r.output).toBe(1);
  }, 130_000);

  it('reports the loss window under async flush instead of hiding it, on the lazy fs', async () => {
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '2', '--seed', '3', '--flush', 'ASYNC', '--max-run-ms', '300', '--fs', 'lazy', '--min-acked', '1'], 120_000);
    expect(r.output, r.output).toMatch(/^async flush: \d+ of \d+ acked messages lost to dropped unsynced bytes; loss window: acknowledged within \d+ ms before the kill$/m);
    expect(r.output.trim().split('\n').at(-1)).toMatch(/^2 iterations, \d+ acked messages checked, \d+ acked lost$/);
    expect(r.code, r.output).toBe(0);
  }, 130_000);

  it('reports the loss window under async flush instead of hiding it', async () => {
    const r = await runTool('src/tools/faults/fault-run.ts', ['--iterations', '2', '--seed', '3', '--flush', 'ASYNC', '--max-run-ms', '300', '--fs', 'plain', '--min-acked', '1'], 120_000);
    expect(r.output, r.output).toMatch(/^async flush: \d+ of \d+ acked messages lost to emulated power cuts; loss window: acknowledged within \d+ ms before the kill$/m);
    expect(r.output.trim().split('\n').at(-1)).toMatch(/^2 iterations, \d+ acked messages checked, \d+ acked lost$/);
    expect(r.code, r.output).toBe(0);
  }, 130_000);
});

describe('make bench-store (tiny sizes in CI)', () => {
  it('prints the append ratios and the three restart times', async () => {
    const r = await runTool('src/tools/store-bench.ts', ['--mb', '4', '--rounds', '1', '--restart-gb', '0.01'], 120_000);
    expect(r.code, r.output).toBe(0);
    for (const size of [128, 1024, 4096]) expect(r.output).toMatch(new RegExp(`^\\s+${size}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\.\\d\\d$`, 'm'));
    expect(r.output).toMatch(/after a clean stop: +\d+ ms/);
    expect(r.output).toMatch(/after SIGKILL during appends: +\d+ ms .*clean=false/);
    expect(r.output).toMatch(/after SIGKILL, checkpoint lost: +\d+ ms/);
  }, 130_000);
});
