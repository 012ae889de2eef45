/**
 * TERN_TEST_ACK_BEFORE_SYNC=1 makes SYNC_FLUSH acknowledge puts before their fdatasync: a broken broker that
 * the fault run on the lazy filesystem must catch losing messages. Read here only; the broker logs it loudly.
 */
export const ACK_BEFORE_SYNC_FOR_TESTS = process.env.TERN_TEST_ACK_BEFORE_SYNC === '1';

/** A put waiting until the CommitLog is durable up to its end offset. */
export interface FlushWaiter {
  readonly endOffset: number;
  deadline: number;
  done(flushed: boolean): void;
}

/**
 * SYNC_FLUSH group commit: waiters queue up in offset order; one fdatasync releases every
 * waiter it covers, and the next one starts as soon as it returns if more are waiting.
 * A waiter not covered within the timeout is released with flushed = false.
 */
export class GroupCommitService {
  private readonly flush: () => Promise<void>;
  private readonly flushedOffset: () => number;
  private readonly timeoutMs: number;
  private readonly onError: (err: unknown) => void;
  private queue: FlushWaiter[] = [];
  private head = 0;
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(flush: () => Promise<void>, flushedOffset: () => number, timeoutMs: number, onError: (err: unknown) => void) {
    this.flush = flush;
    this.flushedOffset = flushedOffset;
    this.timeoutMs = timeoutMs;
    this.onError = onError;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  add(waiter: FlushWaiter, now: number = Date.now()): void {
    if (ACK_BEFORE_SYNC_FOR_TESTS) {
      // The deliberately wrong broker: answer now; the store's periodic CommitLog flush syncs the bytes later.
      waiter.done(true);
      return;
    }
    waiter.deadline = now + this.timeoutMs;
    this.queue.push(waiter);
    if (!this.running && !this.stopped) void this.run();
    this.armTimer();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.head < this.queue.length) {
        try {
          await this.flush();
        } catch (err) {
          this.onError(err);
          // Don't spin on a failing disk; waiters time out meanwhile.
          await new Promise((r) => setTimeout(r, 10));
        }
        this.release(this.flushedOffset());
      }
    } finally {
      this.running = false;
    }
  }

  /** Releases every waiter whose end is at or below `flushed`. */
  release(flushed: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.endOffset <= flushed) {
      this.queue[this.head++]!.done(true);
    }
    this.compact();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private armTimer(): void {
    if (this.timer !== null || this.head >= this.queue.length) return;
    const delay = Math.max(0, this.queue[this.head]!.deadline - Date.now());
    this.timer = setTimeout(this.onTimer, delay);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const now = Date.now();
    while (this.head < this.queue.length && this.queue[this.head]!.deadline <= now) {
      this.queue[this.head++]!.done(false);
    }
    this.compact();
    this.armTimer();
  };

  /** Stops issuing flushes; the owner releases what is left after its final flush. */
  stop(): void {
    this.stopped = true;
  }

  /** Releases everything left: flushed if covered by `flushed`, else timed out. */
  drain(flushed: number): void {
    this.release(flushed);
    while (this.head < this.queue.length) this.queue[this.head++]!.done(false);
    this.compact();
  }
}
