/**
 * Brokers a producer should steer around for a while (RocketMQ's LatencyFaultTolerance): after the connection to
 * one failed, and, with latency-based avoidance on (sendLatencyFaultEnable), after a send that took long. Only
 * used to order choices: when every broker is avoided the producer still sends somewhere.
 */
export class FaultIsolation {
  private readonly until = new Map<string, number>();
  private readonly isolationMs: number;
  private readonly latency: LatencyFaultTable | undefined;

  constructor(isolationMs: number, latency?: LatencyFaultTable) {
    this.isolationMs = isolationMs;
    if (latency) {
      if (latency.latencyMaxMs.length !== latency.notAvailableMs.length || latency.latencyMaxMs.length === 0) {
        throw new Error('latencyMaxMs and notAvailableDurationMs must be non-empty lists of the same length');
      }
      this.latency = latency;
    }
  }

  isolate(brokerName: string, now = Date.now()): void {
    if (this.isolationMs > 0) this.until.set(brokerName, now + this.isolationMs);
  }

  /** A send to the broker succeeded (or was refused by it) after `latencyMs`. */
  recovered(brokerName: string, latencyMs = 0, now = Date.now()): void {
    const avoidMs = this.latency ? notAvailableFor(this.latency, latencyMs) : 0;
    if (avoidMs > 0) this.until.set(brokerName, now + avoidMs);
    else this.until.delete(brokerName);
  }

  /** The broker answered a send with an error after `latencyMs`: with latency-based avoidance, a slow answer counts. */
  refused(brokerName: string, latencyMs: number, now = Date.now()): void {
    if (!this.latency) return;
    const avoidMs = notAvailableFor(this.latency, latencyMs);
    if (avoidMs > 0) this.until.set(brokerName, Math.max(this.until.get(brokerName) ?? 0, now + avoidMs));
  }

  isAvailable(brokerName: string, now = Date.now()): boolean {
    const t = this.until.get(brokerName);
    if (t === undefined) return true;
    if (t <= now) {
      this.until.delete(brokerName);
      return true;
    }
    return false;
  }
}

/** Send latency buckets and how long a broker is avoided after a send in each (both ascending, same length). */
export interface LatencyFaultTable {
  latencyMaxMs: readonly number[];
  notAvailableMs: readonly number[];
}

/** RocketMQ's defaults: 550 ms and more start to count (30 s), up to 10 minutes for 15 s and more. */
export const DEFAULT_LATENCY_FAULT_TABLE: LatencyFaultTable = {
  latencyMaxMs: [50, 100, 550, 1_000, 2_000, 3_000, 15_000],
  notAvailableMs: [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000],
};

/** The avoidance of the highest bucket the latency reaches. */
export function notAvailableFor(table: LatencyFaultTable, latencyMs: number): number {
  for (let i = table.latencyMaxMs.length - 1; i >= 0; i--) {
    if (latencyMs >= table.latencyMaxMs[i]!) return table.notAvailableMs[i]!;
  }
  return 0;
}
