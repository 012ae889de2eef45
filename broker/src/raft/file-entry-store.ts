import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { checkContiguous, type RaftEntryStore } from './raft-entry-store.ts';
import { RaftIndexFile, type RaftIndexRecord } from './raft-index-file.ts';
import type { Entry } from './raft-messages.ts';

/**
 * A RaftEntryStore on files, for tests and tools (the broker keeps entries in its CommitLog): entry
 * data back to back in fixed-size segment files named by their start offset, located through the raft
 * index file. An entry never spans two segments; one that does not fit starts the next segment.
 * Opening cuts a torn tail: index records whose data is missing or fails its CRC, and data past the
 * last entry.
 */
export interface FileEntryStoreOptions {
  segmentBytes?: number;
  /** false: sync() returns at once (async flush: written counts as durable). */
  syncOnSync?: boolean;
}

export class FileEntryStore implements RaftEntryStore {
  readonly dir: string;
  private readonly index: RaftIndexFile;
  private readonly segmentBytes: number;
  private readonly syncOnSync: boolean;
  private readonly segments = new Map<number, number>();
  private readonly dirty = new Set<number>();
  /** Where the next entry's data goes. */
  private writeOffset = 0;
  /** Entries cut from the tail on open. */
  readonly cutOnOpen: number;

  constructor(dir: string, options: FileEntryStoreOptions = {}) {
    this.dir = dir;
    this.segmentBytes = options.segmentBytes ?? 64 << 20;
    this.syncOnSync = options.syncOnSync ?? true;
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    this.index = new RaftIndexFile(path.join(dir, 'raft-index'));
    for (const name of fs.readdirSync(path.join(dir, 'data'))) {
      if (!/^\d{20}$/.test(name)) continue;
      this.segments.set(Number(name), fs.openSync(path.join(dir, 'data', name), 'r+'));
    }
    let cut = this.index.cutOnOpen;
    while (this.index.lastIndex() > 0 && !this.dataIntact(this.index.read(this.index.lastIndex()))) {
      this.index.truncateFrom(this.index.lastIndex());
      cut++;
    }
    this.cutOnOpen = cut;
    const last = this.index.lastIndex();
    if (last > 0) {
      const r = this.index.read(last);
      this.writeOffset = r.offset + r.length;
    }
    this.cutData(this.writeOffset);
  }

  private segmentStart(offset: number): number {
    return offset - (offset % this.segmentBytes);
  }

  private segment(start: number, create: boolean): number | undefined {
    let fd = this.segments.get(start);
    if (fd === undefined && create) {
      fd = fs.openSync(path.join(this.dir, 'data', String(start).padStart(20, '0')), 'w+');
      this.segments.set(start, fd);
    }
    return fd;
  }

  private readData(r: RaftIndexRecord): Buffer | null {
    if (r.length === 0) return Buffer.alloc(0);
    const fd = this.segment(this.segmentStart(r.offset), false);
    if (fd === undefined) return null;
    const b = Buffer.alloc(r.length);
    const n = fs.readSync(fd, b, 0, r.length, r.offset % this.segmentBytes);
    return n === r.length ? b : null;
  }

  private dataIntact(r: RaftIndexRecord): boolean {
    const b = this.readData(r);
    return b !== null && crc32(b) === r.dataCrc;
  }

  /** Drops data from offset on: later segments go, the one holding offset is cut there. */
  private cutData(offset: number): void {
    const keep = this.segmentStart(offset);
    for (const [start, fd] of [...this.segments]) {
      if (start > keep) {
        fs.closeSync(fd);
        fs.rmSync(path.join(this.dir, 'data', String(start).padStart(20, '0')));
        this.segments.delete(start);
        this.dirty.delete(start);
      } else if (start === keep) {
        if (fs.fstatSync(fd).size > offset - start) fs.ftruncateSync(fd, offset - start);
      }
    }
  }

  lastIndex(): number {
    return this.index.lastIndex();
  }

  term(index: number): number | undefined {
    return this.index.termAt(index);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (const [i, r] of this.index.readRange(lo, hi).entries()) {
      if (out.length > 0 && bytes + r.length > maxBytes) break;
      const data = this.readData(r);
      if (data === null || crc32(data) !== r.dataCrc) throw new Error(`raft store ${this.dir}: data of index ${lo + i} is missing or corrupt`);
      out.push({ term: r.term, index: lo + i, data: r.noop ? null : data });
      bytes += r.length;
    }
    return out;
  }

  append(entries: readonly Entry[]): void {
    checkContiguous(this.index.lastIndex(), entries);
    const records: RaftIndexRecord[] = [];
    // Data bound for one segment is written with one writev.
    let runStart = -1;
    let runAt = 0;
    let chunks: Uint8Array[] = [];
    const flush = (): void => {
      if (chunks.length > 0) {
        fs.writevSync(this.segment(runStart, true)!, chunks, runAt - runStart);
        this.dirty.add(runStart);
      }
      chunks = [];
    };
    for (const e of entries) {
      const data = e.data ?? new Uint8Array(0);
      if (data.length > this.segmentBytes) throw new Error(`raft store: entry ${e.index} of ${data.length} bytes is larger than a segment`);
      if (data.length > 0 && this.segmentStart(this.writeOffset) !== this.segmentStart(this.writeOffset + data.length - 1)) {
        this.writeOffset = this.segmentStart(this.writeOffset) + this.segmentBytes;
      }
      if (data.length > 0) {
        if (this.segmentStart(this.writeOffset) !== runStart || chunks.length === 0) {
          flush();
          runStart = this.segmentStart(this.writeOffset);
          runAt = this.writeOffset;
        }
        chunks.push(data);
      }
      records.push({ term: e.term, offset: this.writeOffset, length: data.length, dataCrc: crc32(data), noop: e.data === null });
      this.writeOffset += data.length;
    }
    flush();
    this.index.append(records);
  }

  truncateFrom(index: number): void {
    if (index > this.index.lastIndex()) return;
    const offset = this.index.read(index).offset;
    this.index.truncateFrom(index);
    this.writeOffset = offset;
    this.cutData(offset);
  }

  /** Data first, then the index: an index record on disk never points at data that is not. */
  async sync(): Promise<void> {
    if (!this.syncOnSync) return;
    const dirty = [...this.dirty];
    this.dirty.clear();
    await Promise.all(dirty.map((start) => {
      const fd = this.segments.get(start);
      return fd === undefined ? undefined : new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    }));
    await this.index.sync();
  }

  close(): void {
    for (const fd of this.segments.values()) fs.closeSync(fd);
    this.segments.clear();
    this.index.close();
  }
}
