import * as fs from 'node:fs';
import { readInt64BE, writeInt64BE } from '../message/int64.ts';
import { SegmentList } from './segment-list.ts';
import { DirtySegments, type SegmentFile } from './segment-file.ts';

/** commitLogOffset int64 | size int32 | tagsCode int64. */
export const CQ_STORE_UNIT_SIZE = 20;
/** Size of a filler unit (offset 0, tagsCode 0) standing for a queue offset with no message. */
export const BLANK_UNIT_SIZE = 0x7fffffff;

const RECOVERY_CHUNK_UNITS = 4096;

export interface ConsumeQueueUnit {
  commitLogOffset: number;
  size: number;
  tagsCode: number;
}

export function unitOffset(units: Buffer, i: number): number {
  return readInt64BE(units, i * CQ_STORE_UNIT_SIZE);
}

export function unitSize(units: Buffer, i: number): number {
  return units.readInt32BE(i * CQ_STORE_UNIT_SIZE + 8);
}

export function unitTagsCode(units: Buffer, i: number): number {
  return readInt64BE(units, i * CQ_STORE_UNIT_SIZE + 12);
}

/**
 * The index of one (topic, queueId): queue offset n is the 20-byte unit at byte n*20 of the
 * queue's logical space, split into files of `fileSize` bytes. Units are appended to a
 * pending buffer by the dispatcher and written with one write per file per dispatch batch.
 */
export class ConsumeQueue {
  readonly topic: string;
  readonly queueId: number;
  private readonly segments: SegmentList;
  /** Byte position of the first valid unit. */
  private minLogicOffset = 0;
  /** Bytes written to the files (logical). */
  private writtenEnd = 0;
  private pending: Buffer = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE * 64);
  private pendingLen = 0;
  private readonly dirty = new DirtySegments();
  /** End (offset + size) of the last message indexed here. */
  maxPhysicOffset = -1;

  constructor(dir: string, topic: string, queueId: number, fileSize: number) {
    this.topic = topic;
    this.queueId = queueId;
    this.segments = new SegmentList(dir, fileSize);
  }

  get dir(): string {
    return this.segments.dir;
  }

  /** Next queue offset with a written unit; what pulls see. */
  get maxOffset(): number {
    return this.writtenEnd / CQ_STORE_UNIT_SIZE;
  }

  get minOffset(): number {
    return this.minLogicOffset / CQ_STORE_UNIT_SIZE;
  }

  /** Next queue offset including units not yet written. */
  get nextOffset(): number {
    return (this.writtenEnd + this.pendingLen) / CQ_STORE_UNIT_SIZE;
  }

  get hasPending(): boolean {
    return this.pendingLen > 0;
  }

  get isDirty(): boolean {
    return this.dirty.size > 0;
  }

  /**
   * Loads the files and finds the end of data: the first unit of the last file whose size is
   * not positive. Earlier files are full by construction (a file is started only when the
   * previous one is full).
   */
  load(): void {
    this.segments.load();
    const first = this.segments.first();
    const last = this.segments.last();
    if (first === undefined || last === undefined) {
      this.minLogicOffset = this.writtenEnd = 0;
      return;
    }
    const chunk = Buffer.allocUnsafe(RECOVERY_CHUNK_UNITS * CQ_STORE_UNIT_SIZE);
    let pos = 0;
    scan: while (pos < last.size) {
      const n = last.read(chunk, 0, Math.min(chunk.length, last.size - pos), pos);
      const units = Math.floor(n / CQ_STORE_UNIT_SIZE);
      for (let i = 0; i < units; i++) {
        if (unitOffset(chunk, i) < 0 || unitSize(chunk, i) <= 0) {
          pos += i * CQ_STORE_UNIT_SIZE;
          break scan;
        }
      }
      if (units === 0) break;
      pos += units * CQ_STORE_UNIT_SIZE;
    }
    this.writtenEnd = last.startOffset + pos;
    this.minLogicOffset = first.startOffset;
    // Skip filler units at the head (a queue whose first message had a non-zero offset).
    while (this.minLogicOffset < this.writtenEnd) {
      const u = this.readUnit(this.minLogicOffset / CQ_STORE_UNIT_SIZE);
      if (u === null || u.size !== BLANK_UNIT_SIZE) break;
      this.minLogicOffset += CQ_STORE_UNIT_SIZE;
    }
    if (this.writtenEnd > this.minLogicOffset) {
      const u = this.readUnit(this.writtenEnd / CQ_STORE_UNIT_SIZE - 1);
      if (u !== null && u.size !== BLANK_UNIT_SIZE) this.maxPhysicOffset = u.commitLogOffset + u.size;
    }
  }

  /**
   * Queues the unit for queue offset `queueOffset`. Returns false (and changes nothing) when
   * that offset is already indexed, which is how re-dispatch after a restart stays idempotent.
   * A gap (never expected) is filled with filler units so positions stay right.
   */
  append(commitLogOffset: number, size: number, tagsCode: number, queueOffset: number): boolean {
    const next = this.nextOffset;
    if (queueOffset < next) return false;
    if (queueOffset > next) {
      if (next === this.minOffset && this.writtenEnd === this.minLogicOffset && this.pendingLen === 0) {
        // Empty queue starting late: begin at the first file boundary below, as RocketMQ does.
        this.startAt(queueOffset);
      }
      for (let q = this.nextOffset; q < queueOffset; q++) this.pushUnit(0, BLANK_UNIT_SIZE, 0);
    }
    this.pushUnit(commitLogOffset, size, tagsCode);
    this.maxPhysicOffset = commitLogOffset + size;
    return true;
  }

  private startAt(queueOffset: number): void {
    const pos = queueOffset * CQ_STORE_UNIT_SIZE;
    const fileStart = pos - (pos % this.segments.segmentSize);
    if (this.segments.isEmpty) {
      this.writtenEnd = fileStart;
      this.minLogicOffset = pos;
    }
  }

  private pushUnit(commitLogOffset: number, size: number, tagsCode: number): void {
    if (this.pendingLen + CQ_STORE_UNIT_SIZE > this.pending.length) {
      const bigger = Buffer.allocUnsafe(this.pending.length * 2);
      this.pending.copy(bigger, 0, 0, this.pendingLen);
      this.pending = bigger;
    }
    const p = this.pendingLen;
    writeInt64BE(this.pending, commitLogOffset, p);
    this.pending.writeInt32BE(size, p + 8);
    writeInt64BE(this.pending, tagsCode, p + 12);
    this.pendingLen += CQ_STORE_UNIT_SIZE;
  }

  /** Writes pending units: one positional write per file touched. */
  writePending(): void {
    let done = 0;
    while (done < this.pendingLen) {
      const seg = this.segments.findOrCreate(this.writtenEnd);
      const n = Math.min(this.pendingLen - done, seg.endOffset - this.writtenEnd);
      seg.write(this.pending, done, n, this.writtenEnd - seg.startOffset);
      this.dirty.add(seg);
      this.writtenEnd += n;
      done += n;
    }
    this.pendingLen = 0;
    if (this.pending.length > CQ_STORE_UNIT_SIZE * 4096) this.pending = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE * 64);
  }

  /**
   * Reads up to `maxUnits` written units from queue offset `index` into `target`; stops at the
   * end of the file holding `index`, so the caller may get fewer. Returns the unit count.
   */
  readUnits(index: number, maxUnits: number, target: Buffer): number {
    const pos = index * CQ_STORE_UNIT_SIZE;
    if (pos < this.minLogicOffset || pos >= this.writtenEnd) return 0;
    const seg = this.segments.find(pos);
    if (seg === undefined) return 0;
    const limit = Math.min(this.writtenEnd, seg.endOffset, pos + maxUnits * CQ_STORE_UNIT_SIZE);
    const bytes = Math.min(limit - pos, target.length - (target.length % CQ_STORE_UNIT_SIZE));
    const n = seg.read(target, 0, bytes, pos - seg.startOffset);
    return Math.floor(n / CQ_STORE_UNIT_SIZE);
  }

  readUnit(index: number): ConsumeQueueUnit | null {
    const buf = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE);
    if (this.readUnits(index, 1, buf) !== 1) return null;
    return { commitLogOffset: unitOffset(buf, 0), size: unitSize(buf, 0), tagsCode: unitTagsCode(buf, 0) };
  }

  /**
   * Drops units whose message ends past `commitLogEnd` (the CommitLog lost its tail).
   * Units are in CommitLog order, so this walks back from the end.
   */
  truncateByCommitLogEnd(commitLogEnd: number): void {
    const chunk = Buffer.allocUnsafe(RECOVERY_CHUNK_UNITS * CQ_STORE_UNIT_SIZE);
    let keepEnd = this.writtenEnd;
    while (keepEnd > this.minLogicOffset) {
      const seg = this.segments.find(keepEnd - 1);
      if (seg === undefined) break;
      const from = Math.max(seg.startOffset, this.minLogicOffset, keepEnd - chunk.length);
      const n = seg.read(chunk, 0, keepEnd - from, from - seg.startOffset);
      let i = Math.floor(n / CQ_STORE_UNIT_SIZE) - 1;
      let stop = false;
      for (; i >= 0; i--) {
        const size = unitSize(chunk, i);
        if (size !== BLANK_UNIT_SIZE && unitOffset(chunk, i) + size <= commitLogEnd) {
          stop = true;
          break;
        }
      }
      keepEnd = from + (i + 1) * CQ_STORE_UNIT_SIZE;
      if (stop) break;
    }
    if (keepEnd < this.writtenEnd) {
      this.truncateTo(keepEnd);
      const u = keepEnd > this.minLogicOffset ? this.readUnit(keepEnd / CQ_STORE_UNIT_SIZE - 1) : null;
      this.maxPhysicOffset = u !== null && u.size !== BLANK_UNIT_SIZE ? u.commitLogOffset + u.size : -1;
    }
  }

  /** Cuts the queue at logical byte position `end`, zeroing the rest so it cannot resurface. */
  private truncateTo(end: number): void {
    this.pendingLen = 0;
    this.segments.truncateFrom(end);
    this.writtenEnd = end;
    if (end <= this.minLogicOffset) {
      // Nothing left: an empty queue restarts where its last file begins.
      this.minLogicOffset = end;
    }
  }

  /**
   * After a crash, units written after the last ConsumeQueue flush may be torn. Walks back from
   * the end checking each unit against the CommitLog (`isValid`) until a valid unit whose message
   * ends at or before `durableBefore` (flushed before the checkpoint was written), and cuts at the
   * earliest invalid unit found. Returns the CommitLog offset from which this queue must be
   * re-dispatched (the end of the last unit kept), or -1 when nothing was cut.
   */
  truncateInvalidTail(durableBefore: number, isValid: (unit: ConsumeQueueUnit, queueOffset: number) => boolean): number {
    let cutAt = -1;
    for (let index = this.maxOffset - 1; index >= this.minOffset; index--) {
      const u = this.readUnit(index);
      if (u === null) break;
      if (u.size === BLANK_UNIT_SIZE) continue;
      if (!isValid(u, index)) cutAt = index;
      else if (u.commitLogOffset + u.size <= durableBefore) break;
    }
    if (cutAt < 0) return -1;
    this.truncateTo(cutAt * CQ_STORE_UNIT_SIZE);
    let redispatchFrom = 0;
    for (let index = cutAt - 1; index >= this.minOffset; index--) {
      const u = this.readUnit(index);
      if (u === null) break;
      if (u.size !== BLANK_UNIT_SIZE) {
        redispatchFrom = u.commitLogOffset + u.size;
        break;
      }
    }
    this.maxPhysicOffset = redispatchFrom > 0 ? redispatchFrom : -1;
    return redispatchFrom;
  }

  /**
   * Retention moved the CommitLog's start to `minPhyOffset`: the queue now starts at its first
   * unit pointing there or later (units are in CommitLog order, so a binary search finds it).
   */
  correctMinOffset(minPhyOffset: number): void {
    let lo = this.minOffset;
    let hi = this.maxOffset;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const u = this.readUnit(mid);
      const behind = u === null || u.size === BLANK_UNIT_SIZE || u.commitLogOffset < minPhyOffset;
      if (behind) lo = mid + 1;
      else hi = mid;
    }
    if (lo > this.minOffset) this.minLogicOffset = lo * CQ_STORE_UNIT_SIZE;
  }

  /**
   * Deletes leading files all of whose units point before `minPhyOffset` (never the last file,
   * nor one with an fdatasync pending). Returns how many went.
   */
  deleteExpiredFiles(minPhyOffset: number): number {
    let count = 0;
    const files = this.segments.segments;
    const unit = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE);
    while (count < files.length - 1) {
      const f = files[count]!;
      if (this.dirty.has(f)) break;
      // Read the file's last unit directly: the queue's min offset may already be past it.
      if (f.read(unit, 0, CQ_STORE_UNIT_SIZE, f.size - CQ_STORE_UNIT_SIZE) !== CQ_STORE_UNIT_SIZE) break;
      if (unitSize(unit, 0) === BLANK_UNIT_SIZE || unitOffset(unit, 0) >= minPhyOffset) break;
      count++;
    }
    if (count > 0) {
      const newStart = files[count]!.startOffset;
      this.segments.deleteHead(count);
      if (this.minLogicOffset < newStart) this.minLogicOffset = newStart;
    }
    return count;
  }

  /** Zeroes the tail of the last file past the end of data (after a crash it may hold garbage). */
  clearTail(): void {
    const last = this.segments.last();
    if (last !== undefined && this.writtenEnd < last.endOffset && this.writtenEnd >= last.startOffset) {
      last.zeroFrom(this.writtenEnd - last.startOffset);
    }
  }

  flush(): Promise<void> {
    return this.dirty.syncAll();
  }

  flushNow(): void {
    this.dirty.syncAllNow();
  }

  close(): void {
    this.segments.closeAll();
  }

  /** Deletes all files and the queue's directory. */
  destroy(): void {
    this.pendingLen = 0;
    this.dirty.clear();
    this.segments.deleteAll();
    fs.rmSync(this.segments.dir, { recursive: true, force: true });
    this.writtenEnd = this.minLogicOffset = 0;
    this.maxPhysicOffset = -1;
  }
}
