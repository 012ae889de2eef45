import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../broker/src/harness/wait-for.ts';
import { WorkQueue } from '../../src/kube/work-queue.ts';

describe('WorkQueue', () => {
  it('coalesces repeated adds, never runs one key twice at once, and reruns a key added while it ran', async () => {
    const runs: string[] = [];
    let concurrentSameKey = false;
    const active = new Set<string>();
    let gate!: () => void;
    const firstRunGate = new Promise<void>((r) => (gate = r));
    const q = new WorkQueue(async (k) => {
      if (active.has(k)) concurrentSameKey = true;
      active.add(k);
      runs.push(k);
      if (runs.length === 1) await firstRunGate;
      active.delete(k);
      return {};
    });
    q.add('a');
    q.add('a'); // running: marks dirty
    q.add('a'); // still one rerun
    q.add('b');
    gate();
    await q.idle(); // 'a' is still running here, so idle() waits for it and its rerun
    expect(concurrentSameKey).toBe(false);
    expect(runs.filter((k) => k === 'a')).toHaveLength(2);
    expect(runs.filter((k) => k === 'b')).toHaveLength(1);
    q.stop();
  });

  it('requeues after the delay a reconcile asks for, and backs off after a failure', async () => {
    const runs: number[] = [];
    let n = 0;
    const errors: string[] = [];
    const q = new WorkQueue(async () => {
      runs.push(Date.now());
      n++;
      if (n === 1) throw new Error('boom');
      return n < 3 ? { requeueAfterMs: 30 } : {};
    }, { onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) });
    q.add('x');
    await waitFor('the third run', () => n >= 3, 5000, 20);
    expect(n).toBe(3);
    expect(errors).toEqual(['x: boom']);
    expect(runs[1]! - runs[0]!).toBeGreaterThanOrEqual(200);
    q.stop();
  });
});
