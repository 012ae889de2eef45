/**
 * A hierarchical time wheel over whole slots (Kafka's design): level 0 has one bucket per slot, each level above has
 * buckets `wheelSize` times wider, and entries cascade down into finer levels as the clock reaches their bucket.
 * It is pure: no timers, no clock of its own; the owner calls advance(slot) with the slot its clock is in. Entries are
 * slot numbers (the timer store chains its timers per slot), so one entry stands for every timer due in that slot.
 */
export class TimeWheel {
  private readonly wheelSize: number;
  /** levels[k][b]: slots whose level-k tick (floor(slot / wheelSize^k)) is ≡ b mod wheelSize. */
  private readonly levels: number[][][] = [];
  private current: number;
  private count = 0;

  /** `startSlot` is the slot the clock is in now: entries at or before it are due. */
  constructor(startSlot: number, wheelSize = 64) {
    if (!Number.isSafeInteger(startSlot) || startSlot < 0) throw new Error(`startSlot must be a whole number >= 0, got ${startSlot}`);
    if (!Number.isInteger(wheelSize) || wheelSize < 2) throw new Error(`wheelSize must be an integer >= 2, got ${wheelSize}`);
    this.wheelSize = wheelSize;
    this.current = startSlot;
  }

  /** The slot the clock is in. */
  get currentSlot(): number {
    return this.current;
  }

  /** Slots waiting in the wheel. */
  get size(): number {
    return this.count;
  }

  /** Number of levels in use (grows with the farthest slot ever added). */
  get depth(): number {
    return this.levels.length;
  }

  /** Adds a slot; returns false (and keeps nothing) when it is already due: the caller delivers it now. */
  add(slot: number): boolean {
    if (!Number.isSafeInteger(slot)) throw new Error(`slot must be a safe integer, got ${slot}`);
    if (slot <= this.current) return false;
    this.place(slot);
    this.count++;
    return true;
  }

  /**
   * Moves the clock to `slot` and returns, ascending, every slot now due. Work is bounded by the buckets passed
   * (at most wheelSize per level), however far the clock jumps.
   */
  advance(slot: number): number[] {
    if (slot <= this.current) return [];
    const old = this.current;
    const moved: number[] = [];
    let tick = 1;
    for (const level of this.levels) {
      const from = Math.floor(old / tick);
      const to = Math.floor(slot / tick);
      // The level's buckets between the old and new tick (inclusive of the new one: it is now the current bucket,
      // whose entries belong lower down) are emptied; all of them when the clock passed a whole turn.
      for (let t = to; t > from && t > to - this.wheelSize; t--) {
        const bucketIndex = t % this.wheelSize;
        const bucket = level[bucketIndex];
        if (bucket && bucket.length > 0) {
          for (const s of bucket) moved.push(s);
          level[bucketIndex] = [];
        }
      }
      tick *= this.wheelSize;
    }
    this.current = slot;
    const due: number[] = [];
    for (const s of moved) {
      if (s <= slot) due.push(s);
      else this.place(s);
    }
    this.count -= due.length;
    return due.sort((a, b) => a - b);
  }

  /**
   * The earliest slot waiting, or undefined. Each level's first non-empty bucket in clock order holds that level's
   * earliest; an entry not yet cascaded can be earlier than a finer level's, so every level is asked.
   */
  earliest(): number | undefined {
    let best: number | undefined;
    let tick = 1;
    for (const level of this.levels) {
      const base = Math.floor(this.current / tick);
      for (let t = base; t < base + this.wheelSize; t++) {
        const bucket = level[t % this.wheelSize];
        if (bucket && bucket.length > 0) {
          for (const s of bucket) if (best === undefined || s < best) best = s;
          break;
        }
      }
      tick *= this.wheelSize;
    }
    return best;
  }

  /** Every slot still waiting, ascending (tests; O(size log size)). */
  pending(): number[] {
    const all: number[] = [];
    for (const level of this.levels) for (const bucket of level) if (bucket) all.push(...bucket);
    return all.sort((a, b) => a - b);
  }

  /** The lowest level whose span, counted from the clock's tick at that level, reaches the slot. */
  private place(slot: number): void {
    let tick = 1;
    for (let k = 0; ; k++) {
      const span = tick * this.wheelSize;
      const base = Math.floor(this.current / tick);
      const t = Math.floor(slot / tick);
      if (t - base < this.wheelSize && (k === 0 || t > base)) {
        while (this.levels.length <= k) this.levels.push(new Array<number[]>(this.wheelSize));
        const level = this.levels[k]!;
        (level[t % this.wheelSize] ??= []).push(slot);
        return;
      }
      tick = span;
    }
  }
}
