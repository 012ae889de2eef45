/**
 * The Raft log on the CommitLog, as DLedger keeps it: an entry's bytes are a chunk of the CommitLog (whole records,
 * or a segment's end filler) at the same offset on every member, and a small index file maps each Raft index to
 * (term, CommitLog offset, length). A no-op entry has length 0 at the CommitLog end of its time, so truncating from
 * any index means cutting the CommitLog at that entry's offset.
 */
import { crc32 } from 'node:zlib';
import type { MessageStore } from '../store/message-store.ts';
import type { Entry } from './raft-messages.ts';
import { checkContiguous, type RaftEntryStore } from './raft-entry-store.ts';
import { RaftIndexFile, type RaftIndexRecord } from './raft-index-file.ts';

const OFFSET_BYTES = 8;

/** Entry data: the chunk's CommitLog start offset (8 bytes, big-endian), then the chunk. */
export function encodeChunkEntry(physicalStart: number, chunk: Uint8Array): Uint8Array {
  const data = Buffer.allocUnsafe(OFFSET_BYTES + chunk.length);
  data.writeBigUInt64BE(BigInt(physicalStart), 0);
  data.set(chunk, OFFSET_BYTES);
  return data;
}

export function decodeChunkEntry(data: Uint8Array): { offset: number; chunk: Buffer } {
  if (data.length < OFFSET_BYTES) throw new Error(`a CommitLog entry needs at least ${OFFSET_BYTES} bytes, got ${data.length}`);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { offset: Number(buf.readBigUInt64BE(0)), chunk: buf.subarray(OFFSET_BYTES) };
}

export class CommitLogEntryStore implements RaftEntryStore {
  private readonly store: MessageStore;
  readonly index: RaftIndexFile;
  private readonly syncFlush: boolean;

  constructor(store: MessageStore, index: RaftIndexFile, syncFlush: boolean) {
    this.store = store;
    this.index = index;
    this.syncFlush = syncFlush;
  }

  lastIndex(): number {
    return this.index.lastIndex();
  }

  term(index: number): number | undefined {
    return this.index.termAt(index);
  }

  /** CommitLog offset where entry `index` starts (a no-op: the log end when it was appended). */
  offsetOf(index: number): number {
    return this.index.read(index).offset;
  }

  /** CommitLog offset where entry `index` ends: what is confirmed once it commits. */
  endOf(index: number): number {
    if (index === 0) return 0;
    const rec = this.index.read(index);
    return rec.offset + rec.length;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    const records = this.index.readRange(lo, hi);
    for (let i = lo; i < hi; i++) {
      const rec = records[i - lo]!;
      if (out.length > 0 && bytes + rec.length > maxBytes) break;
      if (rec.noop) {
        out.push({ term: rec.term, index: i, data: null });
        continue;
      }
      const chunk = this.store.readCommitLog(rec.offset, rec.length);
      if (!chunk || chunk.length !== rec.length) {
        throw new Error(`raft index ${i}: the CommitLog holds ${chunk?.length ?? 0} of its ${rec.length} bytes at offset ${rec.offset}`);
      }
      out.push({ term: rec.term, index: i, data: encodeChunkEntry(rec.offset, chunk) });
      bytes += rec.length;
    }
    return out;
  }

  append(entries: readonly Entry[]): void {
    checkContiguous(this.index.lastIndex(), entries);
    // One index write per Ready; a no-op's offset is the log end after the entries before it.
    const records: RaftIndexRecord[] = [];
    for (const e of entries) {
      if (e.data === null) {
        records.push({ term: e.term, offset: this.store.commitLogEnd, length: 0, dataCrc: 0, noop: true });
        continue;
      }
      const { offset, chunk } = decodeChunkEntry(e.data);
      const end = this.store.commitLogEnd;
      // A leader's own proposals are already in its CommitLog: the pipeline wrote them before proposing.
      if (offset + chunk.length > end) {
        if (offset !== end) throw new Error(`raft index ${e.index} starts at CommitLog offset ${offset} but the log ends at ${end}`);
        this.store.appendReplicated(offset, chunk);
      }
      records.push({ term: e.term, offset, length: chunk.length, dataCrc: crc32(chunk), noop: false });
    }
    this.index.append(records);
  }

  truncateFrom(index: number): void {
    if (index > this.index.lastIndex()) return;
    const offset = this.offsetOf(index);
    this.index.truncateFrom(index);
    this.store.truncateCommitLog(offset);
  }

  /** SYNC_FLUSH: on disk before it counts; ASYNC_FLUSH (the default, as DLedger's): written is enough. */
  async sync(): Promise<void> {
    if (!this.syncFlush) return;
    await this.store.flushCommitLog();
    await this.index.sync();
  }
}
