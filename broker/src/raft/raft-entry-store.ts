import type { Entry } from './raft-messages.ts';

/**
 * The stable part of the Raft log, kept by the application (the broker: its CommitLog plus the raft
 * index file). The core keeps only the unstable tail in memory and reads the rest through this.
 * Written only by the driver, from a Ready; read by the core for indexes it knows are stable.
 */
export interface RaftEntryStore {
  /** Last durable-or-written index (0 when empty). */
  lastIndex(): number;
  /** 0 for index 0; undefined when unknown or out of range. */
  term(index: number): number | undefined;
  /** Entries [lo, hi), cut once maxBytes of data is reached but at least one when lo < hi. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Contiguous from lastIndex() + 1 (after any truncate). */
  append(entries: readonly Entry[]): void;
  /** Drops index and everything after. */
  truncateFrom(index: number): void;
  /** Makes appended entries durable (a no-op is allowed in async-flush mode). */
  sync(): Promise<void>;
}

/** Checks an append against the store's end; every store implementation shares the rule. */
export function checkContiguous(lastIndex: number, entries: readonly Entry[]): void {
  entries.forEach((e, i) => {
    if (e.index !== lastIndex + 1 + i) throw new Error(`raft store: append of index ${e.index} where ${lastIndex + 1 + i} is next`);
  });
}
