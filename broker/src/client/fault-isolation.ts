/**
 * Brokers a producer should steer around for a while after the connection to them failed (a light
 * form of RocketMQ's LatencyFaultTolerance). Only used to order choices: when every broker is
 * isolated the producer still sends somewhere.
 */
export class FaultIsolation {
  private readonly until = new Map<string, number>();
  private readonly isolationMs: number;

  constructor(isolationMs: number) {
    this.isolationMs = isolationMs;
  }

  isolate(brokerName: string, now = Date.now()): void {
    if (this.isolationMs > 0) this.until.set(brokerName, now + this.isolationMs);
  }

  recovered(brokerName: string): void {
    this.until.delete(brokerName);
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
