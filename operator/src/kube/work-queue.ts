/**
 * A keyed work queue as controller-runtime has it: a key is queued at most once, never processed by two
 * workers at once, and can be requeued after a delay (level-triggered: the key, not the event, is queued).
 */
export type Reconcile = (key: string) => Promise<ReconcileResult>;

export interface ReconcileResult {
  /** Run again after this many ms (progress to watch, or periodic drift checks). */
  requeueAfterMs?: number;
}

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly active = new Set<string>();
  /** Keys that were added while active: run again when the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly reconcile: Reconcile;
  private readonly concurrency: number;
  private readonly onError: (key: string, err: unknown) => void;
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(reconcile: Reconcile, opts: { concurrency?: number; onError?: (key: string, err: unknown) => void } = {}) {
    this.reconcile = reconcile;
    this.concurrency = opts.concurrency ?? 2;
    this.onError = opts.onError ?? (() => {});
  }

  add(key: string): void {
    if (this.stopped) return;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.pending.add(key);
    this.pump();
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    t.unref();
    this.timers.set(key, t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }

  /** Resolves when nothing is queued or running (timers may still be armed). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.concurrency) {
      const key = [...this.pending].find((k) => !this.active.has(k));
      if (key === undefined) break;
      this.pending.delete(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
    if (this.pending.size === 0 && this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.reconcile(key);
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.onError(key, err);
      // Exponential backoff, 250 ms .. 60 s.
      this.addAfter(key, Math.min(60_000, 250 * 2 ** Math.min(n - 1, 8)));
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.pending.add(key);
      this.pump();
    }
  }
}
