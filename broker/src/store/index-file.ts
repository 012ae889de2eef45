/**
 * One IndexFile, RocketMQ's on-disk layout exactly (§5.4):
 *
 *   header (40)  beginTimestamp@0 endTimestamp@8 beginPhyOffset@16 endPhyOffset@24 hashSlotCount@32 indexCount@36
 *   slots        hashSlotNum x int32 at 40: newest entry number for the bucket, 0 = empty
 *   entries      indexNum x 20 bytes at 40 + hashSlotNum*4: keyHash int32 | phyOffset int64 |
 *                timeDiff int32 (seconds after beginTimestamp) | prevIndex int32 (0 = end of chain)
 *
 * indexCount starts at 1: entry 0 is never used, so 0 can mean "none".
 *
 * Without mmap the writable (newest) file keeps its slot table in memory; entries go to disk with
 * one write per dispatch batch, slots and header on flush. A flush writes entries and dirty slot
 * pages, fdatasyncs, then writes the header and fdatasyncs again, so a header on disk never counts
 * entries that are not there. A crash mid-flush can leave slots pointing at entries the header does
 * not count; loading detects that and rebuilds the slots from the counted entries.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readInt64BE, writeInt64BE } from '../message/int64.ts';
import { javaStringHash } from '../message/java-string-hash.ts';

export const INDEX_HEADER_SIZE = 40;
export const HASH_SLOT_SIZE = 4;
export const INDEX_ENTRY_SIZE = 20;
const PAGE = 4096;
const REBUILD_CHUNK_ENTRIES = 64 * 1024;

/** Index file names: creation time as yyyyMMddHHmmssSSS, local time. */
export const INDEX_FILE_NAME_PATTERN = /^\d{17}$/;

export function indexFileSize(hashSlotNum: number, indexNum: number): number {
  return INDEX_HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + indexNum * INDEX_ENTRY_SIZE;
}

/** Java's Math.abs(key.hashCode()), with Integer.MIN_VALUE (whose abs is negative in Java) as 0. */
export function indexKeyHash(key: string): number {
  const h = javaStringHash(key);
  return h === -2147483648 ? 0 : Math.abs(h);
}

export function indexFileName(time: number): string {
  const d = new Date(time);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

export function decodeIndexHeader(buf: Buffer): IndexHeader {
  return {
    beginTimestamp: readInt64BE(buf, 0),
    endTimestamp: readInt64BE(buf, 8),
    beginPhyOffset: readInt64BE(buf, 16),
    endPhyOffset: readInt64BE(buf, 24),
    hashSlotCount: buf.readInt32BE(32),
    indexCount: buf.readInt32BE(36),
  };
}

function encodeIndexHeader(h: IndexHeader): Buffer {
  const buf = Buffer.alloc(INDEX_HEADER_SIZE);
  writeInt64BE(buf, h.beginTimestamp, 0);
  writeInt64BE(buf, h.endTimestamp, 8);
  writeInt64BE(buf, h.beginPhyOffset, 16);
  writeInt64BE(buf, h.endPhyOffset, 24);
  buf.writeInt32BE(h.hashSlotCount | 0, 32);
  buf.writeInt32BE(h.indexCount | 0, 36);
  return buf;
}

export interface IndexEntry {
  keyHash: number;
  phyOffset: number;
  timeDiff: number;
  prevIndex: number;
}

export class IndexFile {
  readonly path: string;
  readonly name: string;
  readonly hashSlotNum: number;
  readonly indexNum: number;
  header: IndexHeader;
  private fd: number;
  /** The slot table, in memory while this file takes new entries. */
  private slots: Buffer | null = null;
  private dirtyPages: Uint8Array | null = null;
  private anyDirtyPage = false;
  /** Entries put but not yet written: numbers [writtenCount, header.indexCount). */
  private pending = Buffer.allocUnsafe(INDEX_ENTRY_SIZE * 256);
  private writtenCount: number;
  /** Header fields changed since the last flush. */
  private changed = false;
  /** Bumped by every flush that snapshots the header; lets an older async flush see it was overtaken. */
  private headerSnapshots = 0;

  private constructor(path: string, name: string, fd: number, hashSlotNum: number, indexNum: number, header: IndexHeader) {
    this.path = path;
    this.name = name;
    this.fd = fd;
    this.hashSlotNum = hashSlotNum;
    this.indexNum = indexNum;
    this.header = header;
    this.writtenCount = header.indexCount;
  }

  get fileSize(): number {
    return indexFileSize(this.hashSlotNum, this.indexNum);
  }

  private get entriesStart(): number {
    return INDEX_HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
  }

  /**
   * A new, sparse file. Like RocketMQ, it starts where the previous file ended (begin = end =
   * the previous file's end) so time and offset ranges chain.
   */
  static create(dir: string, name: string, hashSlotNum: number, indexNum: number, prevEndPhyOffset: number, prevEndTimestamp: number): IndexFile {
    const path = join(dir, name);
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    fs.ftruncateSync(fd, indexFileSize(hashSlotNum, indexNum));
    // The size must be durable before entries are: else a crash leaves a file shorter than its layout.
    fs.fdatasyncSync(fd);
    const header: IndexHeader = {
      beginTimestamp: Math.max(0, prevEndTimestamp),
      endTimestamp: Math.max(0, prevEndTimestamp),
      beginPhyOffset: Math.max(0, prevEndPhyOffset),
      endPhyOffset: Math.max(0, prevEndPhyOffset),
      hashSlotCount: 0,
      indexCount: 1,
    };
    const file = new IndexFile(path, name, fd, hashSlotNum, indexNum, header);
    file.slots = Buffer.alloc(hashSlotNum * HASH_SLOT_SIZE);
    file.dirtyPages = new Uint8Array(Math.ceil((hashSlotNum * HASH_SLOT_SIZE) / PAGE));
    file.changed = true;
    return file;
  }

  /** Opens an existing file; returns null (and says why) when its size does not match the configuration. */
  static open(dir: string, name: string, hashSlotNum: number, indexNum: number): IndexFile | string {
    const path = join(dir, name);
    const fd = fs.openSync(path, fs.constants.O_RDWR);
    const size = fs.fstatSync(fd).size;
    if (size !== indexFileSize(hashSlotNum, indexNum)) {
      fs.closeSync(fd);
      return `${path}: ${size} bytes, but maxHashSlotNum=${hashSlotNum} and maxIndexNum=${indexNum} make ${indexFileSize(hashSlotNum, indexNum)}; not used`;
    }
    const buf = Buffer.alloc(INDEX_HEADER_SIZE);
    fs.readSync(fd, buf, 0, INDEX_HEADER_SIZE, 0);
    const header = decodeIndexHeader(buf);
    // A header never written (crash right after creation) reads as all zeros.
    const torn = header.indexCount < 1 || header.indexCount > indexNum;
    if (torn) header.indexCount = 1;
    const file = new IndexFile(path, name, fd, hashSlotNum, indexNum, header);
    // The repaired header goes to disk at the next flush: else a clean stop leaves it torn.
    file.changed = torn;
    return file;
  }

  get isWriteFull(): boolean {
    return this.header.indexCount >= this.indexNum;
  }

  get hasEntries(): boolean {
    return this.header.indexCount > 1;
  }

  get isWritable(): boolean {
    return this.slots !== null;
  }

  /** Loads the slot table so new entries can be added. */
  makeWritable(): void {
    if (this.slots !== null) return;
    const slots = Buffer.alloc(this.hashSlotNum * HASH_SLOT_SIZE);
    readFully(this.fd, slots, INDEX_HEADER_SIZE);
    this.slots = slots;
    this.dirtyPages = new Uint8Array(Math.ceil(slots.length / PAGE));
  }

  /**
   * Slots may point at entries a crash kept out of the header's count (the slots of a flush
   * reached the disk, its header did not). Rebuilds the table from the counted entries, whose
   * chains are intact (entries are written once and never change). Returns whether it had to.
   */
  repairSlots(): boolean {
    this.makeWritable();
    const slots = this.slots!;
    const count = this.header.indexCount;
    let broken = false;
    for (let pos = 0; pos < slots.length; pos += HASH_SLOT_SIZE) {
      const v = slots.readInt32BE(pos);
      if (v < 0 || v >= count) {
        broken = true;
        break;
      }
    }
    if (!broken) return false;
    this.rebuildSlots();
    return true;
  }

  /**
   * A file with a successor was sealed full (a new file is only created after the last one was
   * sealed and fdatasynced), so a smaller count on disk is a header an overtaken flush wrote after
   * the seal (before flush() checked for that); the seal's entries and slots are there. Restores
   * the full header; false when the last entry is not on disk.
   */
  restoreSealedHeader(storeTimeOf: (phyOffset: number) => number): boolean {
    if (this.isWriteFull) return false;
    const last = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    readFully(this.fd, last, this.entriesStart + (this.indexNum - 1) * INDEX_ENTRY_SIZE);
    const phyOffset = readInt64BE(last, 4);
    const prev = last.readInt32BE(16);
    const written = !last.every((b) => b === 0);
    if (!written || phyOffset < this.header.endPhyOffset || prev < 0 || prev >= this.indexNum - 1) return false;
    const h = this.header;
    h.indexCount = this.indexNum;
    h.hashSlotCount = this.indexNum - 1;
    h.endPhyOffset = phyOffset;
    const t = storeTimeOf(phyOffset);
    h.endTimestamp = t > 0 ? t : h.beginTimestamp + last.readInt32BE(12) * 1000;
    this.writtenCount = this.indexNum;
    this.changed = true;
    this.flushNow();
    return true;
  }

  private rebuildSlots(): void {
    const slots = this.slots!;
    slots.fill(0);
    const count = this.header.indexCount;
    const chunk = Buffer.allocUnsafe(REBUILD_CHUNK_ENTRIES * INDEX_ENTRY_SIZE);
    for (let first = 1; first < count; first += REBUILD_CHUNK_ENTRIES) {
      const n = Math.min(REBUILD_CHUNK_ENTRIES, count - first);
      readFully(this.fd, chunk.subarray(0, n * INDEX_ENTRY_SIZE), this.entriesStart + first * INDEX_ENTRY_SIZE);
      for (let i = 0; i < n; i++) {
        const keyHash = chunk.readInt32BE(i * INDEX_ENTRY_SIZE);
        slots.writeInt32BE(first + i, (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE);
      }
    }
    this.dirtyPages!.fill(1);
    this.anyDirtyPage = true;
    this.changed = true;
  }

  /**
   * Drops entries for messages at or after `commitLogEnd` (recovery cut the CommitLog there).
   * `storeTimeOf` gives the store time of a surviving message, for the new endTimestamp.
   * Returns the number of entries dropped.
   */
  trimTo(commitLogEnd: number, storeTimeOf: (phyOffset: number) => number): number {
    const count = this.header.indexCount;
    let keep = count;
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    while (keep > 1) {
      readFully(this.fd, entry, this.entriesStart + (keep - 1) * INDEX_ENTRY_SIZE);
      if (readInt64BE(entry, 4) < commitLogEnd) break;
      keep--;
    }
    if (keep === count) return 0;
    this.header.indexCount = keep;
    this.writtenCount = keep;
    if (keep > 1) {
      readFully(this.fd, entry, this.entriesStart + (keep - 1) * INDEX_ENTRY_SIZE);
      this.header.endPhyOffset = readInt64BE(entry, 4);
      const t = storeTimeOf(this.header.endPhyOffset);
      this.header.endTimestamp = t > 0 ? t : this.header.beginTimestamp + entry.readInt32BE(12) * 1000;
    } else {
      this.header.endPhyOffset = this.header.beginPhyOffset;
      this.header.endTimestamp = this.header.beginTimestamp;
    }
    this.header.hashSlotCount = Math.min(this.header.hashSlotCount, keep - 1);
    this.makeWritable();
    this.rebuildSlots();
    return count - keep;
  }

  /** Adds one key; false when the file is full. */
  put(keyHash: number, phyOffset: number, storeTimestamp: number): boolean {
    const h = this.header;
    if (h.indexCount >= this.indexNum) return false;
    const slots = this.slots;
    if (slots === null) throw new Error(`index file ${this.name} is not writable`);
    const slotPos = (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let prev = slots.readInt32BE(slotPos);
    if (prev <= 0 || prev >= h.indexCount) prev = 0;
    let timeDiff = 0;
    if (h.beginTimestamp > 0) {
      timeDiff = Math.trunc((storeTimestamp - h.beginTimestamp) / 1000);
      if (timeDiff < 0) timeDiff = 0;
      else if (timeDiff > 0x7fffffff) timeDiff = 0x7fffffff;
    }
    const n = h.indexCount;
    const at = (n - this.writtenCount) * INDEX_ENTRY_SIZE;
    if (at + INDEX_ENTRY_SIZE > this.pending.length) {
      const bigger = Buffer.allocUnsafe(this.pending.length * 2);
      this.pending.copy(bigger, 0, 0, at);
      this.pending = bigger;
    }
    this.pending.writeInt32BE(keyHash, at);
    writeInt64BE(this.pending, phyOffset, at + 4);
    this.pending.writeInt32BE(timeDiff, at + 12);
    this.pending.writeInt32BE(prev, at + 16);
    slots.writeInt32BE(n, slotPos);
    const page = Math.floor(slotPos / PAGE);
    this.dirtyPages![page] = 1;
    this.anyDirtyPage = true;
    if (n <= 1) {
      h.beginPhyOffset = phyOffset;
      h.beginTimestamp = storeTimestamp;
    }
    h.hashSlotCount++;
    h.indexCount = n + 1;
    h.endPhyOffset = phyOffset;
    h.endTimestamp = storeTimestamp;
    this.changed = true;
    return true;
  }

  /** Writes the entries put since the last call, in one positional write. */
  writePending(): void {
    const n = this.header.indexCount - this.writtenCount;
    if (n <= 0) return;
    writeFully(this.fd, this.pending, n * INDEX_ENTRY_SIZE, this.entriesStart + this.writtenCount * INDEX_ENTRY_SIZE);
    this.writtenCount = this.header.indexCount;
  }

  private writeDirtySlots(): void {
    if (!this.anyDirtyPage || this.slots === null) return;
    const pages = this.dirtyPages!;
    const slots = this.slots;
    for (let p = 0; p < pages.length; ) {
      if (pages[p] === 0) {
        p++;
        continue;
      }
      let q = p;
      while (q < pages.length && pages[q] === 1) pages[q++] = 0;
      const from = p * PAGE;
      const to = Math.min(slots.length, q * PAGE);
      writeFully(this.fd, slots.subarray(from, to), to - from, INDEX_HEADER_SIZE + from);
      p = q;
    }
    this.anyDirtyPage = false;
  }

  get needsFlush(): boolean {
    return this.changed || this.anyDirtyPage || this.writtenCount < this.header.indexCount;
  }

  /** Entries and slots, fdatasync, header, fdatasync; off the event loop. */
  async flush(): Promise<void> {
    if (!this.needsFlush) return;
    this.writePending();
    this.writeDirtySlots();
    const header = encodeIndexHeader(this.header);
    const snapshot = ++this.headerSnapshots;
    this.changed = false;
    try {
      await datasync(this.fd);
      // A seal (flushNow) during the wait already wrote a newer header; ours would undercount it.
      if (snapshot !== this.headerSnapshots) return;
      writeFully(this.fd, header, header.length, 0);
      await datasync(this.fd);
    } catch (err) {
      // Nothing of this flush is known durable: write it all again next time.
      this.dirtyPages?.fill(1);
      this.anyDirtyPage = this.dirtyPages !== null;
      this.changed = true;
      throw err;
    }
  }

  flushNow(): void {
    if (!this.needsFlush) return;
    this.writePending();
    this.writeDirtySlots();
    this.headerSnapshots++;
    fs.fdatasyncSync(this.fd);
    writeFully(this.fd, encodeIndexHeader(this.header), INDEX_HEADER_SIZE, 0);
    fs.fdatasyncSync(this.fd);
    this.changed = false;
  }

  /** The file stops taking entries: flushed and its slot table dropped from memory. */
  seal(): void {
    this.flushNow();
    this.slots = null;
    this.dirtyPages = null;
  }

  isTimeMatched(begin: number, end: number): boolean {
    const h = this.header;
    return (
      (begin < h.beginTimestamp && end > h.endTimestamp) ||
      (begin >= h.beginTimestamp && begin <= h.endTimestamp) ||
      (end >= h.beginTimestamp && end <= h.endTimestamp)
    );
  }

  /**
   * Walks the bucket's chain, newest first, adding to `out` the offsets of entries with this
   * key hash stored within [begin, end] that `accept` confirms, until `out` holds maxNum.
   */
  select(keyHash: number, maxNum: number, begin: number, end: number, accept: (phyOffset: number) => boolean, out: number[]): void {
    const count = this.header.indexCount;
    if (count <= 1) return;
    const slotPos = (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let next: number;
    if (this.slots !== null) next = this.slots.readInt32BE(slotPos);
    else {
      const b = Buffer.allocUnsafe(HASH_SLOT_SIZE);
      readFully(this.fd, b, INDEX_HEADER_SIZE + slotPos);
      next = b.readInt32BE(0);
    }
    if (next <= 0 || next >= count) return;
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    // A chain is at most `count` long; the bound guards against a corrupt loop.
    for (let steps = 0; steps < count && out.length < maxNum; steps++) {
      this.readEntry(next, entry);
      const keyHashRead = entry.readInt32BE(0);
      const phyOffset = readInt64BE(entry, 4);
      const timeDiff = entry.readInt32BE(12);
      const prev = entry.readInt32BE(16);
      if (timeDiff < 0) break;
      const timeRead = this.header.beginTimestamp + timeDiff * 1000;
      if (keyHashRead === keyHash && timeRead >= begin && timeRead <= end && accept(phyOffset)) out.push(phyOffset);
      if (prev <= 0 || prev >= next || timeRead < begin) break;
      next = prev;
    }
  }

  private readEntry(n: number, target: Buffer): void {
    if (n >= this.writtenCount) {
      this.pending.copy(target, 0, (n - this.writtenCount) * INDEX_ENTRY_SIZE, (n - this.writtenCount + 1) * INDEX_ENTRY_SIZE);
    } else {
      readFully(this.fd, target, this.entriesStart + n * INDEX_ENTRY_SIZE);
    }
  }

  /** Entry `n` (1-based), for verification. */
  entry(n: number): IndexEntry {
    const b = Buffer.allocUnsafe(INDEX_ENTRY_SIZE);
    this.readEntry(n, b);
    return { keyHash: b.readInt32BE(0), phyOffset: readInt64BE(b, 4), timeDiff: b.readInt32BE(12), prevIndex: b.readInt32BE(16) };
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  destroy(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}

function readFully(fd: number, target: Buffer, position: number): void {
  let done = 0;
  while (done < target.length) {
    const n = fs.readSync(fd, target, done, target.length - done, position + done);
    if (n === 0) {
      target.fill(0, done);
      return;
    }
    done += n;
  }
}

function writeFully(fd: number, source: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, source, done, length - done, position + done);
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
