import cliProgress from 'cli-progress';
import { renderTable, type Cell } from './table.ts';

/** Latency samples (ms) with percentiles; keeps every sample, which is fine for CLI-sized runs. */
export class LatencyRecorder {
  private samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  get count(): number {
    return this.samples.length;
  }

  /** Nearest-rank percentile (p in 0..100); 0 with no samples. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = this.sorted();
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank]!;
  }

  max(): number {
    let m = 0;
    for (const s of this.samples) if (s > m) m = s;
    return m;
  }

  private sortedCache: number[] | undefined;
  private sortedFor = -1;
  private sorted(): number[] {
    if (this.sortedFor !== this.samples.length) {
      this.sortedCache = Float64Array.from(this.samples).sort() as unknown as number[];
      this.sortedFor = this.samples.length;
    }
    return this.sortedCache!;
  }
}

export interface RunSummary {
  label: string;
  messages: number;
  failed?: number;
  bytes: number;
  elapsedMs: number;
  latency: LatencyRecorder;
  latencyName: string;
}

/** The end-of-run table: count, elapsed, msg/s, MiB/s and latency percentiles. */
export function renderSummary(s: RunSummary): string {
  const seconds = s.elapsedMs / 1000;
  const headers = ['RUN', 'MESSAGES'];
  const row: Cell[] = [s.label, s.messages];
  if (s.failed !== undefined) {
    headers.push('FAILED');
    row.push(s.failed);
  }
  headers.push('ELAPSED s', 'MSG/s', 'MiB/s', `${s.latencyName} p50 ms`, 'p99 ms', 'max ms');
  row.push(
    round(seconds, 2),
    Math.round(seconds > 0 ? s.messages / seconds : 0),
    round(seconds > 0 ? s.bytes / 1048576 / seconds : 0, 2),
    round(s.latency.percentile(50), 2),
    round(s.latency.percentile(99), 2),
    round(s.latency.max(), 2),
  );
  return renderTable(headers, [row]);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A progress bar on stderr, only when stderr is a terminal; otherwise every call is a no-op. */
export class Progress {
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(total: number | undefined, unit: string) {
    if (!process.stderr.isTTY) return;
    const format = total
      ? `{bar} {percentage}% | {value}/{total} ${unit} | {rate} msg/s | ETA {eta_formatted}`
      : `{value} ${unit} | {rate} msg/s | {duration_formatted}`;
    this.bar = new cliProgress.SingleBar(
      { format, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50, fps: 5 },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total ?? 0, 0, { rate: 0 });
    this.started = Date.now();
  }

  private started = 0;
  private lastDraw = 0;

  /** Cheap to call per message: the bar is redrawn at most ten times a second. */
  update(value: number): void {
    if (!this.bar) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    this.bar.update(value, { rate: seconds > 0 ? Math.round(value / seconds) : 0 });
  }

  stop(): void {
    this.bar?.stop();
  }
}
