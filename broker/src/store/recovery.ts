/**
 * Startup recovery, kept apart from the running store's hot path.
 *
 * Steps: find the CommitLog's real end by scanning records from a safe point, cut everything
 * after it (CommitLog, ConsumeQueues, IndexFiles), then re-dispatch the records the
 * ConsumeQueues and the index may not hold durably.
 */
import * as fs from 'node:fs';
import {
  BLANK_MAGIC_CODE,
  END_FILE_MIN_BLANK_LENGTH,
  MESSAGE_MAGIC_CODE_V1,
  MESSAGE_MAGIC_CODE_V2,
  RecordStatus,
  newRecordSummary,
  readRecordSummary,
  readStoreTimestamp,
} from '../message/stored-message.ts';
import type { CommitLog } from './commit-log.ts';
import type { ConsumeQueue, ConsumeQueueUnit } from './consume-queue.ts';
import type { ConsumeQueueTable } from './consume-queue-table.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { IndexService } from './index-service.ts';
import type { SegmentFile } from './segment-file.ts';
import type { SegmentList } from './segment-list.ts';
import type { StoreCheckpoint } from './store-checkpoint.ts';

/** The abort file exists while a store runs; finding it at start means the last exit was not clean. */
export function lastShutdownWasClean(abortPath: string): boolean {
  return !fs.existsSync(abortPath);
}

export function createAbortFile(abortPath: string): void {
  const fd = fs.openSync(abortPath, 'w');
  try {
    fs.writeSync(fd, String(process.pid));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function removeAbortFile(abortPath: string): void {
  fs.rmSync(abortPath, { force: true });
}

export interface RecoveryReport {
  cleanShutdown: boolean;
  /** Where the CommitLog scan started (a record boundary). */
  scannedFrom: number;
  /** The recovered end of the CommitLog; nothing after it is ever served. */
  commitLogEnd: number;
  /**
   * End of what the ConsumeQueues and the index hold: commitLogEnd, or in a replicated store the persisted
   * confirm offset (at most commitLogEnd); the bytes past it wait for the Raft log to confirm or truncate them.
   */
  confirmOffset: number;
  /** True when data past the recovered end was thrown away (a torn or corrupt tail). */
  cutTail: boolean;
  /** Where re-dispatch into the ConsumeQueues and the index started. */
  redispatchedFrom: number;
  lastStoreTimestamp: number;
  /** ConsumeQueues whose torn tail (units not matching the CommitLog) was cut. */
  repairedQueues: string[];
  /** What else recovery adjusted, one line each (segment sizes, index repairs). */
  notes: string[];
}

export interface RecoveryContext {
  commitLog: CommitLog;
  queues: ConsumeQueueTable;
  index: IndexService | null;
  dispatcher: Dispatcher;
  checkpoint: StoreCheckpoint;
  checkCrc: boolean;
  /** Records past the checkpoint's flushed offset must carry a valid whole-record CRC property. */
  requireRecordCrc: boolean;
  cleanShutdown: boolean;
  /** Read chunk size: at least the largest possible record. */
  chunkSize: number;
  /** Notes from loading the files (segment size adopted, torn files grown). */
  notes: string[];
  /** A replicated CommitLog: dispatch only up to the checkpoint's confirm offset. */
  replicated: boolean;
}

/** A clean stop and nothing cut or rebuilt: the summary is news, not a warning. */
export function recoveryLostNothing(r: RecoveryReport): boolean {
  return r.cleanShutdown && !r.cutTail && r.repairedQueues.length === 0;
}

/** One line for the log: how the last run ended, where the scan started, what was cut and rebuilt. */
export function recoverySummary(r: RecoveryReport, storeDir: string): string {
  return (
    `recovered ${storeDir} after ${r.cleanShutdown ? 'a clean' : 'an abnormal'} shutdown: scanned the commit log from ${r.scannedFrom}, ` +
    `it ends at ${r.commitLogEnd}${r.cutTail ? ', a torn tail past it was cut' : ''}` +
    (r.repairedQueues.length > 0 ? `, torn ConsumeQueue tails rebuilt (${r.repairedQueues.join(', ')})` : '') +
    (r.redispatchedFrom < r.confirmOffset ? `, ConsumeQueues and index re-dispatched from ${r.redispatchedFrom}` : ', nothing to re-dispatch') +
    (r.confirmOffset < r.commitLogEnd ? `; only the ${r.confirmOffset} confirmed bytes are dispatched, the rest waits for its Raft commit` : '')
  );
}

/**
 * After a clean stop the checkpoint is trusted: the scan starts at its flushed offset (the end)
 * and nothing is re-dispatched. After a crash the scan starts at that same durable point (or,
 * without a valid checkpoint, the third-last segment), checks magic, size, offset and body CRC of
 * every record, and cuts the log at the first bad one; ConsumeQueue units and index entries past
 * the cut go, units written after the last ConsumeQueue flush are checked against the CommitLog,
 * and everything after the checkpoint's durable points is dispatched again.
 */
export function recoverStore(ctx: RecoveryContext): RecoveryReport {
  const segments = ctx.commitLog.segments;
  const cp = ctx.checkpoint;
  const notes = [...ctx.notes];
  if (cp.fromBackup) notes.push(`the checkpoint page ${cp.path} was torn or missing: recovered from checkpoint.bak`);
  const scannedFrom = chooseScanStart(segments, cp);
  // Scanning from the checkpoint, every record is past the durable point, written by this
  // configuration; without one, older records (perhaps from before the CRC property) are scanned too.
  const requireRecordCrc = ctx.requireRecordCrc && cp.valid && scannedFrom === cp.commitLogFlushedOffset;
  const scan = scanCommitLog(segments, scannedFrom, ctx.checkCrc, ctx.chunkSize, requireRecordCrc);
  const end = scan.end;
  const cutTail = hasBytesPast(segments, end);
  segments.truncateFrom(end);

  const minOffset = segments.first()?.startOffset ?? 0;
  // Replicated: only confirmed records may reach the queues (an unknown confirm offset confirms nothing).
  const dispatchEnd = ctx.replicated ? Math.max(minOffset, Math.min(end, cp.valid ? cp.confirmPhyOffset : 0)) : end;
  // After a clean stop both points equal the end, so nothing is dispatched again.
  let redispatchedFrom = cp.valid ? Math.min(dispatchEnd, cp.dispatchedOffset, ctx.index !== null ? cp.indexedOffset : dispatchEnd) : minOffset;

  const repairedQueues: string[] = [];
  for (const cq of ctx.queues.all()) {
    cq.truncateByCommitLogEnd(dispatchEnd);
    if (!ctx.cleanShutdown) {
      const durableBefore = cp.valid ? cp.dispatchedOffset : 0;
      const from = cq.truncateInvalidTail(durableBefore, (unit, queueOffset) => unitMatchesRecord(segments, end, cq, unit, queueOffset));
      if (from >= 0) {
        repairedQueues.push(`${cq.topic}/${cq.queueId}`);
        redispatchedFrom = Math.min(redispatchedFrom, from);
      }
    }
    cq.clearTail();
    cq.correctMinOffset(minOffset);
  }

  if (ctx.index !== null) {
    const note = ctx.index.recover(dispatchEnd, (phyOffset) => storeTimeAt(segments, end, phyOffset));
    if (note) notes.push(`index: ${note}`);
  }

  if (redispatchedFrom < minOffset) redispatchedFrom = minOffset;
  redispatch(segments, ctx.dispatcher, redispatchedFrom, dispatchEnd, ctx.chunkSize);
  ctx.dispatcher.dropArrivals();
  ctx.dispatcher.dispatchedOffset = dispatchEnd;

  // What recovery read may only be in the page cache (the process died, the OS did not).
  const from = segments.find(Math.min(scannedFrom, redispatchedFrom));
  for (const s of segments.segments) if (from !== undefined && s.startOffset >= from.startOffset) s.datasyncNow();
  ctx.queues.flushNow();
  ctx.index?.flushNow();

  const lastStoreTimestamp = scan.lastStoreTimestamp || cp.physicMsgTimestamp;
  ctx.commitLog.setRecoveredEnd(end, lastStoreTimestamp);
  return {
    cleanShutdown: ctx.cleanShutdown, scannedFrom, commitLogEnd: end, confirmOffset: dispatchEnd, cutTail, redispatchedFrom, lastStoreTimestamp, repairedQueues, notes,
  };
}

/** The record a ConsumeQueue unit points at, read from the segments (recovery runs before the log is open). */
function readRecordAt(segments: SegmentList, end: number, offset: number, size: number): Buffer | null {
  if (offset < 0 || size <= 0 || offset + size > end) return null;
  const seg = segments.find(offset);
  if (seg === undefined || offset + size > seg.endOffset) return null;
  const rec = Buffer.allocUnsafe(size);
  return seg.read(rec, 0, size, offset - seg.startOffset) === size ? rec : null;
}

/** A unit is valid when its CommitLog record is a whole message of its queue, at its queue offset. */
function unitMatchesRecord(segments: SegmentList, end: number, cq: ConsumeQueue, unit: ConsumeQueueUnit, queueOffset: number): boolean {
  const rec = readRecordAt(segments, end, unit.commitLogOffset, unit.size);
  if (rec === null) return false;
  const s = readRecordSummary(rec, 0, newRecordSummary(), rec.length);
  return (
    s.status === RecordStatus.MESSAGE &&
    s.totalSize === unit.size &&
    s.physicalOffset === unit.commitLogOffset &&
    s.queueId === cq.queueId &&
    s.queueOffset === queueOffset &&
    s.topic === cq.topic
  );
}

function storeTimeAt(segments: SegmentList, end: number, offset: number): number {
  const head = readRecordAt(segments, end, offset, Math.min(80, end - offset));
  return head === null || head.length < 80 ? -1 : readStoreTimestamp(head, 0);
}

/**
 * The checkpoint's flushed offset when it is trustworthy (everything below it was fdatasynced,
 * and it is a record boundary); otherwise the start of the third-last segment, as RocketMQ 4.9.
 */
function chooseScanStart(segments: SegmentList, checkpoint: StoreCheckpoint): number {
  const first = segments.first();
  const last = segments.last();
  if (first === undefined || last === undefined) return 0;
  const flushed = checkpoint.commitLogFlushedOffset;
  if (checkpoint.valid && flushed >= first.startOffset && flushed <= last.endOffset) return flushed;
  return segments.segments[Math.max(0, segments.segments.length - 3)]!.startOffset;
}

interface ScanResult {
  end: number;
  lastStoreTimestamp: number;
}

/**
 * Walks records from `from` while they are whole, carry the expected PHYSICALOFFSET and (when
 * asked) a matching body CRC. A blank record jumps to the next segment if there is one.
 */
export function scanCommitLog(segments: SegmentList, from: number, checkCrc: boolean, chunkSize: number, requireRecordCrc = false): ScanResult {
  const buf = Buffer.allocUnsafe(chunkSize);
  const s = newRecordSummary();
  let pos = from;
  let lastStoreTimestamp = 0;
  for (;;) {
    const seg = segments.find(pos);
    if (seg === undefined) break;
    const want = Math.min(chunkSize, seg.endOffset - pos);
    const n = seg.read(buf, 0, want, pos - seg.startOffset);
    let p = 0;
    let stop = false;
    let nextSegment = false;
    while (p < n) {
      readRecordSummary(buf, p, s, n - p, checkCrc, requireRecordCrc);
      if (s.status === RecordStatus.MESSAGE) {
        if (s.physicalOffset !== pos + p) {
          stop = true;
          break;
        }
        lastStoreTimestamp = s.storeTimestamp;
        p += s.totalSize;
        continue;
      }
      if (s.status === RecordStatus.BLANK) {
        if (s.totalSize === seg.endOffset - (pos + p) && segments.find(seg.endOffset) !== undefined) nextSegment = true;
        else stop = true;
        break;
      }
      if (s.status === RecordStatus.TRUNCATED && p > 0 && pos + n < seg.endOffset) break; // re-read from p
      stop = true;
      break;
    }
    if (nextSegment) {
      pos = seg.endOffset;
      continue;
    }
    pos += p;
    if (stop || n === 0) break;
  }
  return { end: pos, lastStoreTimestamp };
}

/**
 * Whether recovery is cutting real bytes: non-zero bytes right past the end, or a later segment
 * that begins with data (an empty pre-allocated segment is not a torn tail).
 */
function hasBytesPast(segments: SegmentList, offset: number): boolean {
  const nonZeroAt = (seg: SegmentFile, pos: number): boolean => {
    const probe = Buffer.alloc(Math.min(64, seg.endOffset - pos));
    seg.read(probe, 0, probe.length, pos - seg.startOffset);
    return probe.some((b) => b !== 0);
  };
  const holder = segments.find(offset);
  if (holder !== undefined && offset < holder.endOffset && nonZeroAt(holder, offset)) return true;
  return segments.segments.some((s) => s.startOffset > offset && nonZeroAt(s, s.startOffset));
}

/** Feeds records in [from, to) to the dispatcher, chunk by chunk. */
export function redispatch(segments: SegmentList, dispatcher: Dispatcher, from: number, to: number, chunkSize: number): void {
  if (to <= from) return;
  // A short range (a confirm step) needs no full-size chunk.
  const buf = Buffer.allocUnsafe(Math.min(chunkSize, to - from));
  let pos = from;
  while (pos < to) {
    const seg = segments.find(pos);
    if (seg === undefined) break;
    // `to` is a record boundary and a blank is only ever followed by a further segment, so
    // the range never ends inside a record or a blank's 8-byte head.
    const want = Math.min(chunkSize, seg.endOffset - pos, to - pos);
    const n = seg.read(buf, 0, want, pos - seg.startOffset);
    const consumed = dispatcher.dispatch(buf, 0, n, pos);
    if (consumed === 0) throw new Error(`cannot dispatch the record at commit log offset ${pos}`);
    pos += consumed;
  }
}

/**
 * Whether `to` is a record boundary, walking the record heads from `from` (one): each message's
 * TOTALSIZE leads to the next, a blank record to its segment's end.
 */
export function isRecordBoundary(segments: SegmentList, from: number, to: number, chunkSize: number): boolean {
  if (to < from) return false;
  const buf = Buffer.allocUnsafe(Math.max(END_FILE_MIN_BLANK_LENGTH, Math.min(chunkSize, to - from)));
  let bufFrom = 0;
  let bufTo = 0;
  let pos = from;
  while (pos < to) {
    const seg = segments.find(pos);
    if (seg === undefined) return false;
    if (pos < bufFrom || pos + END_FILE_MIN_BLANK_LENGTH > bufTo) {
      const n = seg.read(buf, 0, Math.min(buf.length, seg.endOffset - pos), pos - seg.startOffset);
      if (n < END_FILE_MIN_BLANK_LENGTH) return false;
      bufFrom = pos;
      bufTo = pos + n;
    }
    const size = buf.readInt32BE(pos - bufFrom);
    const magic = buf.readInt32BE(pos - bufFrom + 4);
    if (magic === BLANK_MAGIC_CODE && size === seg.endOffset - pos) pos = seg.endOffset;
    else if ((magic === MESSAGE_MAGIC_CODE_V1 || magic === MESSAGE_MAGIC_CODE_V2) && size > 0 && pos + size <= seg.endOffset) pos += size;
    else return false;
  }
  return pos === to;
}
