import type { Entry } from './raft-messages.ts';
import type { RaftEntryStore } from './raft-entry-store.ts';

/**
 * The core's view of the Raft log (no snapshots in this slice): entries 1..stableLast live in the
 * application's RaftEntryStore; the tail the storage has not finished writing lives here in memory,
 * preceded by a bounded cache of recently stabilized entries (what followers in step usually need).
 * Index 0 is the empty prefix, of term 0.
 */
export class RaftLog {
  private readonly store: RaftEntryStore;
  /** Entries memFirst..lastIndex; always every index above stableLast, plus the cache below it. */
  private mem: Entry[] = [];
  private memFirst: number;
  private memBytes = 0;
  private readonly cacheBytes: number;
  /** Also bounds the cache by count (no-ops weigh nothing); a zero byte budget means no cache at all. */
  private readonly cacheEntries: number;
  /** Last index the storage holds durably and that still belongs to this log. */
  private stableLast: number;
  /** Last index the storage holds or is writing (the outstanding Ready), less what was truncated since. */
  private handedLast: number;
  /** Lowest index the storage must drop before its next write, when a conflicting tail was replaced. */
  private truncateFrom: number | null = null;
  committed: number;
  applied: number;

  constructor(store: RaftEntryStore, committed: number, applied: number, cacheBytes: number) {
    this.store = store;
    const last = store.lastIndex();
    if (last > 0 && store.term(last) === undefined) throw new Error(`raft store reports last index ${last} but no term for it`);
    this.stableLast = last;
    this.handedLast = last;
    this.memFirst = last + 1;
    this.cacheBytes = cacheBytes;
    this.cacheEntries = cacheBytes === 0 ? 0 : 4096;
    if (committed > last) throw new Error(`commit ${committed} is beyond the stored log (last ${last})`);
    this.committed = committed;
    this.applied = Math.min(applied, committed);
  }

  lastIndex(): number {
    return this.memFirst + this.mem.length - 1;
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  /** Term at index; undefined beyond the end. */
  term(index: number): number | undefined {
    if (index === 0) return 0;
    if (index > this.lastIndex() || index < 0) return undefined;
    if (index >= this.memFirst) return this.mem[index - this.memFirst]!.term;
    return this.store.term(index) ?? this.missing(index);
  }

  private missing(index: number): never {
    throw new Error(`raft store lost index ${index} (stable up to ${this.stableLast})`);
  }

  entry(index: number): Entry | undefined {
    if (index < 1 || index > this.lastIndex()) return undefined;
    return this.between(index, index + 1, Infinity)[0];
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
    if (entry.index !== this.lastIndex() + 1) throw new Error(`append at ${entry.index}, log ends at ${this.lastIndex()}`);
    this.mem.push(entry);
    this.memBytes += entry.data?.length ?? 0;
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
    if (from >= this.memFirst) {
      for (const e of this.mem.splice(from - this.memFirst)) this.memBytes -= e.data?.length ?? 0;
    } else {
      this.mem = [];
      this.memBytes = 0;
      this.memFirst = from;
    }
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

  /** Entries [lo, hi), cut once maxBytes is reached (at least one when lo < hi): the store's part, then memory's. */
  private between(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    if (lo < this.memFirst) {
      const fromStore = this.store.entries(lo, Math.min(hi, this.memFirst), maxBytes);
      for (const e of fromStore) {
        if (e.index !== lo + out.length) this.missing(lo + out.length);
        out.push(e);
        bytes += e.data?.length ?? 0;
      }
      if (out.length === 0) this.missing(lo);
      if (lo + out.length < Math.min(hi, this.memFirst)) return out;
    }
    for (let i = lo + out.length; i < hi; i++) {
      const e = this.mem[i - this.memFirst]!;
      const size = e.data?.length ?? 0;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(e);
      bytes += size;
    }
    return out;
  }

  /** Entries from..lastIndex, cut after maxEntries or once maxBytes is reached (at least one entry). */
  slice(from: number, maxEntries: number, maxBytes: number): Entry[] {
    const hi = Math.min(this.lastIndex() + 1, from + maxEntries);
    return from < hi ? this.between(from, hi, maxBytes) : [];
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
    const from = this.handedLast + 1;
    const out = { truncateFrom: this.truncateFrom, entries: this.mem.slice(from - this.memFirst) };
    this.truncateFrom = null;
    this.handedLast = this.lastIndex();
    return out;
  }

  /** The storage finished what takeUnstable() handed it; a tail truncated meanwhile does not count. */
  stabilize(): void {
    this.stableLast = this.handedLast;
    this.trimCache();
  }

  /** Drops the oldest stable entries from memory while the cache is over its budget; the store has them. */
  private trimCache(): void {
    let drop = 0;
    let bytes = this.memBytes;
    while (this.memFirst + drop <= this.stableLast && (bytes > this.cacheBytes || this.mem.length - drop > this.cacheEntries)) {
      bytes -= this.mem[drop]!.data?.length ?? 0;
      drop++;
    }
    if (drop === 0) return;
    this.mem.splice(0, drop);
    this.memFirst += drop;
    this.memBytes = bytes;
  }

  hasToApply(): boolean {
    return this.applied < Math.min(this.committed, this.stableLast);
  }

  /** Committed entries the storage holds and the application has not applied yet, at most maxBytes (at least one). */
  toApply(maxBytes: number): Entry[] {
    const hi = Math.min(this.committed, this.stableLast) + 1;
    return this.applied + 1 < hi ? this.between(this.applied + 1, hi, maxBytes) : [];
  }
}
