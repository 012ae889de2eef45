import type { Entry } from './raft-messages.ts';

/**
 * The in-memory view of the Raft log: every entry from index 1 (no snapshots in this slice), split
 * into the stable part the application reported durable and the unstable tail it still has to write.
 * Index 0 is the empty prefix, of term 0.
 */
export class RaftLog {
  private entries: Entry[];
  /** Last index the storage holds durably and that still belongs to this log. */
  private stableLast: number;
  /** Last index the storage holds or is writing (the outstanding Ready), less what was truncated since. */
  private handedLast: number;
  /** Lowest index the storage must drop before its next write, when a conflicting tail was replaced. */
  private truncateFrom: number | null = null;
  committed: number;
  applied: number;

  constructor(stored: readonly Entry[], committed: number, applied: number) {
    stored.forEach((e, i) => {
      if (e.index !== i + 1) throw new Error(`stored raft log is not contiguous from 1 at position ${i}: index ${e.index}`);
    });
    this.entries = [...stored];
    this.stableLast = stored.length;
    this.handedLast = stored.length;
    if (committed > stored.length) throw new Error(`commit ${committed} is beyond the stored log (last ${stored.length})`);
    this.committed = committed;
    this.applied = Math.min(applied, committed);
  }

  lastIndex(): number {
    return this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.entries.length)!;
  }

  /** Term at index; undefined beyond the end. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    return this.entries[index - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Is a log ending at (lastIndex, lastTerm) at least as up to date as this one (section 5.4.1)? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  append(entry: Entry): void {
    if (entry.index !== this.entries.length + 1) throw new Error(`append at ${entry.index}, log ends at ${this.entries.length}`);
    this.entries.push(entry);
  }

  /**
   * Appends a leader's entries after prevIndex (already known to match): entries already present with
   * the same term are kept, the first conflict truncates the tail. Returns the last index they cover.
   */
  appendFromLeader(prevIndex: number, incoming: readonly Entry[]): number {
    for (const e of incoming) {
      const ours = this.term(e.index);
      if (ours === e.term) continue;
      if (ours !== undefined) {
        if (e.index <= this.committed) throw new Error(`leader overwrites committed index ${e.index}`);
        this.truncate(e.index);
      }
      this.append(e);
    }
    return prevIndex + incoming.length;
  }

  private truncate(from: number): void {
    this.entries.length = from - 1;
    if (from <= this.handedLast) {
      this.truncateFrom = Math.min(this.truncateFrom ?? from, from);
      this.handedLast = from - 1;
      this.stableLast = Math.min(this.stableLast, from - 1);
    }
  }

  /**
   * The largest index <= index whose term is <= term: where a follower's and a leader's logs may
   * still agree, so a rejection skips a whole term of mismatching entries in one round trip.
   */
  lastIndexAtOrBeforeTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > 0 && this.term(i)! > term) i--;
    return i;
  }

  /** Entries from..lastIndex, cut after maxEntries or once maxBytes is reached (at least one entry). */
  slice(from: number, maxEntries: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i <= this.lastIndex() && out.length < maxEntries; i++) {
      const e = this.entries[i - 1]!;
      const size = e.data?.length ?? 0;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(e);
      bytes += size;
    }
    return out;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) throw new Error(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  persistedIndex(): number {
    return this.stableLast;
  }

  hasUnstable(): boolean {
    return this.truncateFrom !== null || this.handedLast < this.lastIndex();
  }

  /** Hands the storage what it has to do now: drop from truncateFrom (if set), then write these entries. */
  takeUnstable(): { truncateFrom: number | null; entries: Entry[] } {
    const out = { truncateFrom: this.truncateFrom, entries: this.entries.slice(this.handedLast) };
    this.truncateFrom = null;
    this.handedLast = this.lastIndex();
    return out;
  }

  /** The storage finished what takeUnstable() handed it; a tail truncated meanwhile does not count. */
  stabilize(): void {
    this.stableLast = this.handedLast;
  }

  /** Committed entries the storage holds and the application has not applied yet. */
  toApply(): Entry[] {
    return this.entries.slice(this.applied, Math.min(this.committed, this.stableLast));
  }
}
