/** Keeps one sample of a counter per second for ten minutes, to report TPS over 10 s / 60 s / 600 s as RocketMQ does. */
export class TpsSampler {
  private readonly samples: { at: number; value: number }[] = [];
  private readonly read: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(read: () => number) {
    this.read = read;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private sample(): void {
    this.samples.push({ at: Date.now(), value: this.read() });
    if (this.samples.length > 601) this.samples.shift();
  }

  /** Rate over roughly the last `seconds`, from the sample closest to that age. */
  tps(seconds: number): number {
    const now = { at: Date.now(), value: this.read() };
    const index = Math.max(0, this.samples.length - 1 - seconds);
    const then = this.samples[index];
    if (!then || now.at <= then.at) return 0;
    return ((now.value - then.value) * 1000) / (now.at - then.at);
  }

  /** "t10 t60 t600", the format mqadmin clusterList reads. */
  describe(): string {
    return [10, 60, 600].map((s) => this.tps(s).toFixed(2)).join(' ');
  }
}
