import * as fs from 'node:fs';
import { join } from 'node:path';
import { SEGMENT_NAME_PATTERN, SegmentFile, syncDirectory } from '../store/segment-file.ts';

/** Bytes per record: due ms (f64), CommitLog offset (f64), size (i32), previous record of the same slot (f64), magic|kind (i32). */
export const TIMER_LOG_RECORD_SIZE = 32;
const MAGIC = 0x544d5200;
const MAGIC_MASK = 0xffffff00;

/**
 * What a record indexes: a timer to deliver, a recall marker cancelling one due in the same slot, or a timer whose
 * message was rolled forward into a newer CommitLog record (indexed again under that one; this record is dead).
 */
export const TimerRecordKind = { TIMER: 1, RECALL: 2, ROLLED: 3 } as const;
export type TimerRecordKind = (typeof TimerRecordKind)[keyof typeof TimerRecordKind];

export interface TimerLogRecord {
  dueMs: number;
  commitLogOffset: number;
  size: number;
  /** Index of the previous record of the same slot, -1 for the first. */
  prev: number;
  kind: TimerRecordKind;
}

interface Segment {
  file: SegmentFile;
  /** First record index held. */
  start: number;
  /** The segment's bytes, written through to the file: chains are walked in memory. */
  bytes: Buffer;
  /** Latest due time of any live (not rolled) record in it: once delivered up to it, the segment can go. */
  maxDueMs: number;
  /** A record was marked rolled since maxDueMs was computed. */
  stale: boolean;
}

/**
 * The timer log: fixed-size records in segments of their own (named, as CommitLog segments, by their first byte's offset), appended in the
 * order the timer topic's ConsumeQueue is read. Records of one slot link backwards, so the wheel keeps one head per
 * slot instead of one entry per timer. Durability is the timer checkpoint's: the log is trusted up to the end it
 * names, and anything after is cut on open and indexed again from the ConsumeQueue.
 */
export class TimerLog {
  readonly dir: string;
  readonly recordsPerSegment: number;
  private segments: Segment[] = [];
  private nextIndex = 0;
  private readonly dirty = new Set<SegmentFile>();

  private constructor(dir: string, recordsPerSegment: number) {
    this.dir = dir;
    this.recordsPerSegment = recordsPerSegment;
  }

  /** Opens the log under `dir`, keeping records before `trustedEnd` (the checkpoint's) and cutting the rest. */
  static open(dir: string, segmentBytes: number, trustedEnd: number): TimerLog {
    if (segmentBytes % TIMER_LOG_RECORD_SIZE !== 0 || segmentBytes <= 0) {
      throw new Error(`timer log segment size ${segmentBytes} must be a positive multiple of ${TIMER_LOG_RECORD_SIZE}`);
    }
    fs.mkdirSync(dir, { recursive: true });
    const log = new TimerLog(dir, segmentBytes / TIMER_LOG_RECORD_SIZE);
    const names = fs.readdirSync(dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort();
    for (const name of names) {
      const start = Number(name) / TIMER_LOG_RECORD_SIZE;
      const file = new SegmentFile(join(dir, name), Number(name), segmentBytes);
      if (start >= trustedEnd || start % log.recordsPerSegment !== 0) {
        file.delete();
        continue;
      }
      const bytes = Buffer.alloc(segmentBytes);
      file.read(bytes, 0, segmentBytes, 0);
      const kept = Math.min(log.recordsPerSegment, trustedEnd - start);
      // Records past the trusted end are cut: they are indexed again from the ConsumeQueue.
      if (kept < log.recordsPerSegment) {
        bytes.fill(0, kept * TIMER_LOG_RECORD_SIZE);
        file.zeroFrom(kept * TIMER_LOG_RECORD_SIZE);
      }
      const seg = { file, start, bytes, maxDueMs: 0, stale: true };
      log.segments.push(seg);
      log.nextIndex = start + kept;
    }
    return log;
  }

  /** Index the next append gets. */
  get end(): number {
    return this.nextIndex;
  }

  /** First index still held (older segments were delivered and deleted). */
  get start(): number {
    return this.segments[0]?.start ?? this.nextIndex;
  }

  get diskBytes(): number {
    return this.segments.length * this.recordsPerSegment * TIMER_LOG_RECORD_SIZE;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  append(rec: TimerLogRecord): number {
    const index = this.nextIndex;
    let seg = this.segments.at(-1);
    if (!seg || index >= seg.start + this.recordsPerSegment) {
      const start = index - (index % this.recordsPerSegment);
      const file = SegmentFile.create(this.dir, start * TIMER_LOG_RECORD_SIZE, this.recordsPerSegment * TIMER_LOG_RECORD_SIZE);
      syncDirectory(this.dir);
      seg = { file, start, bytes: Buffer.alloc(file.size), maxDueMs: 0, stale: false };
      this.segments.push(seg);
    }
    const pos = (index - seg.start) * TIMER_LOG_RECORD_SIZE;
    const b = seg.bytes;
    b.writeDoubleLE(rec.dueMs, pos);
    b.writeDoubleLE(rec.commitLogOffset, pos + 8);
    b.writeInt32LE(rec.size, pos + 16);
    b.writeDoubleLE(rec.prev, pos + 20);
    b.writeInt32LE((MAGIC | rec.kind) | 0, pos + 28);
    seg.file.write(b, pos, TIMER_LOG_RECORD_SIZE, pos);
    this.dirty.add(seg.file);
    seg.maxDueMs = Math.max(seg.maxDueMs, rec.dueMs);
    this.nextIndex = index + 1;
    return index;
  }

  /** The record at `index`; throws if its segment is gone or it was never written. */
  read(index: number): TimerLogRecord {
    const seg = this.segmentOf(index);
    const pos = (index - seg.start) * TIMER_LOG_RECORD_SIZE;
    const b = seg.bytes;
    const magic = b.readInt32LE(pos + 28);
    if (index >= this.nextIndex || ((magic & MAGIC_MASK) | 0) !== (MAGIC | 0)) throw new Error(`timer log holds no record at ${index}`);
    return {
      dueMs: b.readDoubleLE(pos),
      commitLogOffset: b.readDoubleLE(pos + 8),
      size: b.readInt32LE(pos + 16),
      prev: b.readDoubleLE(pos + 20),
      kind: (magic & 0xff) as TimerRecordKind,
    };
  }

  /** Marks a timer record rolled: its message lives on in a newer record, indexed after this one. */
  markRolled(index: number): void {
    const seg = this.segmentOf(index);
    const pos = (index - seg.start) * TIMER_LOG_RECORD_SIZE + 28;
    seg.bytes.writeInt32LE((MAGIC | TimerRecordKind.ROLLED) | 0, pos);
    seg.file.write(seg.bytes, pos, 4, pos);
    this.dirty.add(seg.file);
    seg.stale = true;
  }

  /** Calls `fn` for every record held, in index order (startup rebuild). */
  forEach(fn: (rec: TimerLogRecord, index: number) => void): void {
    for (const seg of this.segments) {
      const last = Math.min(seg.start + this.recordsPerSegment, this.nextIndex);
      for (let i = seg.start; i < last; i++) fn(this.read(i), i);
    }
  }

  /** fdatasync what was appended since the last flush. */
  async flush(): Promise<void> {
    const files = [...this.dirty];
    this.dirty.clear();
    try {
      await Promise.all(files.map((f) => f.datasync()));
    } catch (err) {
      for (const f of files) this.dirty.add(f);
      throw err;
    }
  }

  /**
   * Deletes the oldest segments (never the last) whose live records are all due at or before `deliveredUpToMs`.
   * Only a leading run goes, so a chain reaching below start() reaches only dead records.
   */
  deleteDelivered(deliveredUpToMs: number): number {
    const gone: Segment[] = [];
    for (const s of this.segments.slice(0, -1)) {
      if (s.stale) this.recomputeMaxDue(s);
      if (s.maxDueMs > deliveredUpToMs) break;
      gone.push(s);
    }
    if (gone.length === 0) return 0;
    for (const s of gone) {
      this.dirty.delete(s.file);
      s.file.delete();
    }
    this.segments = this.segments.filter((s) => !gone.includes(s));
    syncDirectory(this.dir);
    return gone.length;
  }

  private recomputeMaxDue(seg: Segment): void {
    let max = 0;
    const last = Math.min(seg.start + this.recordsPerSegment, this.nextIndex);
    for (let i = seg.start; i < last; i++) {
      const pos = (i - seg.start) * TIMER_LOG_RECORD_SIZE;
      if ((seg.bytes.readInt32LE(pos + 28) & 0xff) !== TimerRecordKind.ROLLED) max = Math.max(max, seg.bytes.readDoubleLE(pos));
    }
    seg.maxDueMs = max;
    seg.stale = false;
  }

  close(): void {
    for (const s of this.segments) s.file.close();
  }

  private segmentOf(index: number): Segment {
    // Segments are few and sorted: binary search by start.
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid]!;
      if (index < s.start) hi = mid - 1;
      else if (index >= s.start + this.recordsPerSegment) lo = mid + 1;
      else return s;
    }
    throw new Error(`timer log record ${index} is in no segment held (delivered and deleted?)`);
  }
}
