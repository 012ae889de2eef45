/** Label value that stands for every topic or group beyond the cap. */
export const OVERFLOW_LABEL_VALUE = 'other';

/**
 * Bounds the series a label can create: the first `limit` distinct values pass through, later ones become
 * "other", so a burst of auto-created topics cannot grow the scrape without bound.
 */
export class CappedLabelValues {
  private readonly seen = new Set<string>();
  private readonly limit: number;
  /** Distinct values that were folded into "other". */
  private readonly folded = new Set<string>();

  constructor(limit: number) {
    this.limit = limit;
  }

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size < this.limit) {
      this.seen.add(v);
      return v;
    }
    if (this.folded.size < this.limit) this.folded.add(v);
    return OVERFLOW_LABEL_VALUE;
  }

  /** How many distinct values were folded (counted up to the limit again, so this set stays bounded too). */
  get foldedCount(): number {
    return this.folded.size;
  }
}
