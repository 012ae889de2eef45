/**
 * A small seeded PRNG (mulberry32) with independent, named streams: each producer of each
 * iteration draws from its own stream, so the decisions of a run do not depend on how the
 * event loop interleaved the producers, and a seed replays them exactly.
 */
export class SeededRandom {
  private state: number;
  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An independent stream derived from this seed and a label. */
  fork(label: string): SeededRandom {
    let h = this.seed ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new SeededRandom(h >>> 0);
  }

  fill(buf: Buffer): Buffer {
    for (let i = 0; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(Math.floor(this.next() * 4294967296), i);
    for (let i = buf.length - (buf.length % 4); i < buf.length; i++) buf[i] = Math.floor(this.next() * 256);
    return buf;
  }
}
