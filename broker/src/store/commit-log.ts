import {
  END_FILE_MIN_BLANK_LENGTH,
  encodeBlankInto,
  encodeStoredMessageInto,
} from '../message/stored-message.ts';
import type { StoredMessageFields, StoredMessageMeasure } from '../message/stored-message.ts';
import { SegmentList } from './segment-list.ts';
import { DirtySegments, type SegmentFile } from './segment-file.ts';

/**
 * Told about every batch of bytes that reached the page cache, while they are still in memory. `logEnd` is the
 * log's written end afterwards: past the batch when it ends with a segment's blank record, whose zero filler up to
 * the segment end is part of the log too.
 */
export type CommitLogWriteListener = (buf: Buffer, start: number, end: number, physicalStart: number, logEnd: number) => void;

const MIN_WRITE_BUFFER = 8 * 1024 * 1024;

/** How the next segment is made ready before a rollover needs it. */
export interface SegmentAllocation {
  /** Zero-fill the segment once so appends never allocate blocks. */
  warm: boolean;
  onError: (err: unknown) => void;
}

/**
 * The append-only log of all messages over fixed-size segment files.
 *
 * Appends are encoded into one in-memory write buffer that always maps a contiguous range
 * of the current segment; the buffer reaches the page cache with one positional write
 * (when the caller asks, when it fills, or when the segment rolls). Offsets:
 *   flushedOffset <= writtenOffset <= appendOffset
 * durable on disk, in the page cache (readable, dispatched), assigned to appended records.
 */
export class CommitLog {
  readonly segments: SegmentList;
  /** Physical offset of writeBuf[0]. */
  private bufStart = 0;
  private bufLen = 0;
  private current: SegmentFile | undefined;
  private writtenOffset = 0;
  private flushedOffset = 0;
  private lastWrittenStoreTimestamp = 0;
  private lastAppendStoreTimestamp = 0;
  private lastFlushedStoreTimestamp = 0;
  private readonly dirty = new DirtySegments();
  private flushInFlight: Promise<void> | null = null;
  private flushQueued: Promise<void> | null = null;
  /** Counts truncations, so a flush that straddles one does not claim the replaced bytes durable. */
  private truncations = 0;
  private readonly onWritten: CommitLogWriteListener;
  /** Completed flushes, for stats (group commit batching shows here). */
  flushCount = 0;

  private readonly allocation: SegmentAllocation | undefined;
  private writeBuf: Buffer;
  private readonly maxRecordSize: number;

  constructor(dir: string, segmentSize: number, maxRecordSize: number, onWritten: CommitLogWriteListener, allocation?: SegmentAllocation) {
    this.segments = new SegmentList(dir, segmentSize);
    this.maxRecordSize = maxRecordSize;
    this.writeBuf = Buffer.allocUnsafe(Math.min(segmentSize, Math.max(MIN_WRITE_BUFFER, maxRecordSize)));
    this.onWritten = onWritten;
    this.allocation = allocation;
  }

  /** Reads the segment files; returns notes about adjustments (segment size adopted, torn file grown). */
  load(): string[] {
    const notes = this.segments.load();
    // The store's segment size may differ from the configured one: size the buffer for it.
    const want = Math.min(this.segments.segmentSize, Math.max(MIN_WRITE_BUFFER, this.maxRecordSize));
    if (want !== this.writeBuf.length) this.writeBuf = Buffer.allocUnsafe(want);
    return notes;
  }

  /** Starts creating the segment after the current one, if it does not exist yet. */
  private allocateAhead(): void {
    if (this.allocation === undefined || this.current === undefined || this.segments.last() !== this.current) return;
    this.segments.preallocateNext(this.allocation.warm, this.allocation.onError);
  }

  get segmentSize(): number {
    return this.segments.segmentSize;
  }

  /** After recovery: everything up to `end` is on disk; appends continue there. */
  setRecoveredEnd(end: number, lastStoreTimestamp: number): void {
    this.bufStart = end;
    this.bufLen = 0;
    this.writtenOffset = end;
    this.flushedOffset = end;
    this.lastWrittenStoreTimestamp = lastStoreTimestamp;
    this.lastAppendStoreTimestamp = lastStoreTimestamp;
    this.lastFlushedStoreTimestamp = lastStoreTimestamp;
    this.current = this.segments.find(end);
    this.allocateAhead();
  }

  get appendOffset(): number {
    return this.bufStart + this.bufLen;
  }

  /** Readable (and dispatched) end of the log. */
  get maxOffset(): number {
    return this.writtenOffset;
  }

  get minOffset(): number {
    return this.segments.first()?.startOffset ?? 0;
  }

  get flushed(): number {
    return this.flushedOffset;
  }

  get flushedStoreTimestamp(): number {
    return this.lastFlushedStoreTimestamp;
  }

  get hasUnwrittenBytes(): boolean {
    return this.bufLen > 0;
  }

  /** Largest record (or batch of records) that fits in a segment next to the end blank. */
  get maxAppendSize(): number {
    return this.segmentSize - END_FILE_MIN_BLANK_LENGTH;
  }

  /**
   * Makes sure `bytes` of records can be appended contiguously in the current segment:
   * if not, closes the segment with a blank record and moves to the next one.
   */
  ensureSegmentRoom(bytes: number): void {
    let seg = this.current;
    const at = this.appendOffset;
    if (seg === undefined || at >= seg.endOffset) {
      seg = this.segments.findOrCreate(at);
      this.current = seg;
      this.allocateAhead();
    }
    const remaining = seg.endOffset - at;
    if (bytes + END_FILE_MIN_BLANK_LENGTH <= remaining) return;
    this.ensureBufferRoom(END_FILE_MIN_BLANK_LENGTH);
    encodeBlankInto(this.writeBuf, this.bufLen, remaining);
    this.bufLen += END_FILE_MIN_BLANK_LENGTH;
    // The blank covers the rest of the segment; the log continues at the next segment.
    this.writeOut(seg.endOffset);
    this.current = this.segments.findOrCreate(this.bufStart);
    this.allocateAhead();
  }

  /** Writes the buffer out first if `bytes` more would not fit in it. */
  ensureBufferRoom(bytes: number): void {
    if (this.bufLen + bytes > this.writeBuf.length) this.writeBuffered();
  }

  /**
   * Encodes one record at the append position (room ensured by the caller) and returns its
   * physical offset. queueOffset, storeTimestamp and physicalOffset of `msg` are overwritten.
   */
  append(msg: StoredMessageFields, m: StoredMessageMeasure): number {
    const physicalOffset = this.bufStart + this.bufLen;
    msg.physicalOffset = physicalOffset;
    this.bufLen += encodeStoredMessageInto(this.writeBuf, this.bufLen, msg, m);
    this.lastAppendStoreTimestamp = msg.storeTimestamp;
    return physicalOffset;
  }

  /**
   * Replication (slave): appends bytes copied verbatim from the master's log. They must continue the log
   * exactly (or start an empty log at a segment boundary) and stay inside one segment.
   */
  appendRaw(offset: number, bytes: Buffer): void {
    if (offset !== this.appendOffset) {
      const empty = this.appendOffset === 0 && this.segments.first() === undefined;
      if (!empty || offset % this.segmentSize !== 0) {
        throw new Error(`replicated bytes at ${offset} do not continue the log at ${this.appendOffset}`);
      }
      this.bufStart = offset;
      this.writtenOffset = offset;
      this.flushedOffset = offset;
      this.current = undefined;
    }
    let seg = this.current;
    if (seg === undefined || offset >= seg.endOffset) {
      seg = this.segments.findOrCreate(offset);
      this.current = seg;
    }
    if (offset + bytes.length > seg.endOffset) {
      throw new Error(`replicated bytes at ${offset} (+${bytes.length}) cross the segment end ${seg.endOffset}`);
    }
    this.ensureBufferRoom(bytes.length);
    bytes.copy(this.writeBuf, this.bufLen);
    this.bufLen += bytes.length;
    this.writeBuffered();
  }

  /** One positional write of everything buffered, then the write listener (dispatch). */
  writeBuffered(): void {
    if (this.bufLen > 0) this.writeOut(this.bufStart + this.bufLen);
  }

  /** Writes the buffer; the log then ends at `logEnd` (the segment end after a blank record). */
  private writeOut(logEnd: number): void {
    const seg = this.segments.find(this.bufStart);
    if (seg === undefined) throw new Error(`no segment for offset ${this.bufStart}`);
    seg.write(this.writeBuf, 0, this.bufLen, this.bufStart - seg.startOffset);
    this.dirty.add(seg);
    const start = this.bufStart;
    const len = this.bufLen;
    this.bufStart = logEnd;
    this.bufLen = 0;
    this.writtenOffset = logEnd;
    this.lastWrittenStoreTimestamp = this.lastAppendStoreTimestamp;
    this.onWritten(this.writeBuf, 0, len, start, logEnd);
  }

  /**
   * Drops the records appended but not yet written (a replica that stopped taking puts); returns how many
   * bytes went. Nobody was told of them, so the log ends where it was last written.
   */
  discardBuffered(): number {
    const dropped = this.bufLen;
    this.bufLen = 0;
    this.lastAppendStoreTimestamp = this.lastWrittenStoreTimestamp;
    return dropped;
  }

  /**
   * Replicated log: drops every written byte from `offset` on (a record boundary; nothing may be buffered),
   * zeroing its segment from there and deleting later ones, so the next append continues at `offset`.
   */
  truncate(offset: number): void {
    if (this.bufLen > 0) throw new Error('cannot truncate the commit log while appended records wait to be written');
    if (offset < this.minOffset || offset > this.writtenOffset) {
      throw new Error(`cannot truncate the commit log at ${offset}: it holds [${this.minOffset}, ${this.writtenOffset})`);
    }
    for (const seg of this.segments.segments) if (seg.startOffset > offset) this.dirty.delete(seg);
    this.segments.truncateFrom(offset);
    // The cut is durable before anyone appends past it: a crash must not bring the dropped records back.
    this.segments.find(offset)?.datasyncNow();
    this.truncations++;
    this.bufStart = offset;
    this.writtenOffset = offset;
    this.flushedOffset = Math.min(this.flushedOffset, offset);
    this.current = this.segments.find(offset);
  }

  /**
   * fdatasync of every segment written since the last flush. Concurrent callers share the
   * flush in flight or one queued behind it (group commit).
   */
  flush(): Promise<void> {
    if (this.flushInFlight === null) {
      this.flushInFlight = this.doFlush().finally(() => {
        this.flushInFlight = null;
      });
      return this.flushInFlight;
    }
    if (this.flushQueued === null) {
      this.flushQueued = this.flushInFlight
        .catch(() => undefined)
        .then(() => {
          this.flushQueued = null;
          return this.flush();
        });
    }
    return this.flushQueued;
  }

  private async doFlush(): Promise<void> {
    const target = this.writtenOffset;
    const targetTimestamp = this.lastWrittenStoreTimestamp;
    const truncations = this.truncations;
    await this.dirty.syncAll();
    this.flushCount++;
    // A truncation meanwhile replaced bytes below the target that this sync may not have covered.
    if (target > this.flushedOffset && truncations === this.truncations) {
      this.flushedOffset = target;
      this.lastFlushedStoreTimestamp = targetTimestamp;
    }
  }

  /** Synchronous write + flush of everything, for shutdown. */
  flushNow(): void {
    this.writeBuffered();
    this.dirty.syncAllNow();
    this.flushedOffset = this.writtenOffset;
    this.lastFlushedStoreTimestamp = this.lastWrittenStoreTimestamp;
  }

  /** Waits for flushes and a pre-allocation in flight (their fds must stay open). */
  async settle(): Promise<void> {
    while (this.flushInFlight !== null || this.flushQueued !== null) {
      await (this.flushQueued ?? this.flushInFlight)?.catch(() => undefined);
    }
    await this.segments.settle();
  }

  /**
   * How many leading segments retention may delete now: only whole segments before the one
   * being written, already flushed, with no fdatasync in flight that could still use their fd.
   */
  deletableHeadCount(): number {
    if (this.flushInFlight !== null || this.flushQueued !== null) return 0;
    let n = 0;
    // Never the last segment: after recovery the log may end exactly at its end, with no current one yet.
    for (const seg of this.segments.segments.slice(0, -1)) {
      if (seg === this.current || seg.endOffset > this.flushedOffset || seg.endOffset > this.writtenOffset || this.dirty.has(seg)) break;
      n++;
    }
    return n;
  }

  /** Retention: drops the first `count` segments; the log's min offset moves to the next one. */
  deleteHeadSegments(count: number): void {
    this.segments.deleteHead(Math.min(count, this.deletableHeadCount()));
  }

  /**
   * Copies `length` bytes at physical `offset` into `target`; false when the range is not
   * fully inside one written segment.
   */
  read(offset: number, length: number, target: Buffer, targetPos: number): boolean {
    if (offset < 0 || offset + length > this.writtenOffset) return false;
    const seg = this.segments.find(offset);
    if (seg === undefined || offset + length > seg.endOffset) return false;
    return seg.read(target, targetPos, length, offset - seg.startOffset) === length;
  }

  /** Reads the record at `offset` (size taken from its TOTALSIZE) into a new Buffer. */
  readRecord(offset: number): Buffer | null {
    const head = Buffer.allocUnsafe(4);
    if (!this.read(offset, 4, head, 0)) return null;
    const size = head.readInt32BE(0);
    if (size <= 0) return null;
    const rec = Buffer.allocUnsafe(size);
    return this.read(offset, size, rec, 0) ? rec : null;
  }

  closeFiles(): void {
    this.segments.closeAll();
  }
}
