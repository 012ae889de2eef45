import { checkContiguous, type RaftEntryStore } from './raft-entry-store.ts';
import type { Entry } from './raft-messages.ts';

/**
 * A RaftEntryStore in memory, with a durable mark: sync() moves it to the end, loseUnsynced() drops
 * what was appended after it (a crash before fsync). For the simulation and for tools; a truncation
 * counts as durable at once.
 */
export class MemoryEntryStore implements RaftEntryStore {
  private readonly log: Entry[];
  private durable: number;

  constructor(entries: readonly Entry[] = []) {
    checkContiguous(0, entries);
    this.log = [...entries];
    this.durable = entries.length;
  }

  lastIndex(): number {
    return this.log.length;
  }

  durableIndex(): number {
    return this.durable;
  }

  term(index: number): number | undefined {
    return index === 0 ? 0 : this.log[index - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo < 1 || hi > this.log.length + 1) throw new Error(`raft store: entries [${lo}, ${hi}) outside 1..${this.log.length}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.log[i - 1]!;
      const size = e.data?.length ?? 0;
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(e);
      bytes += size;
    }
    return out;
  }

  append(entries: readonly Entry[]): void {
    checkContiguous(this.log.length, entries);
    for (const e of entries) this.log.push(e);
  }

  truncateFrom(index: number): void {
    if (index < 1) throw new Error(`raft store: truncate from ${index}`);
    this.log.length = Math.min(this.log.length, index - 1);
    this.durable = Math.min(this.durable, this.log.length);
  }

  async sync(): Promise<void> {
    this.durable = this.log.length;
  }

  /** A crash: entries appended since the last sync are gone. */
  loseUnsynced(): void {
    this.log.length = this.durable;
  }
}
