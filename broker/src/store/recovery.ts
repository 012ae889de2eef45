/**
 * Startup recovery, kept apart from the running store so crash handling can grow here
 * (fault injection, IndexFile rebuild, abnormal-shutdown rules) without touching the hot path.
 *
 * Steps: find the CommitLog's real end by scanning records from a safe point, cut everything
 * after it (CommitLog and ConsumeQueues), then re-dispatch the records the ConsumeQueues
 * may not hold durably.
 */
import * as fs from 'node:fs';
import { RecordStatus, newRecordSummary, readRecordSummary } from '../message/stored-message.ts';
import type { CommitLog } from './commit-log.ts';
import type { ConsumeQueueTable } from './consume-queue-table.ts';
import type { Dispatcher } from './dispatcher.ts';
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
  /** True when data past the recovered end was thrown away (a torn or corrupt tail). */
  cutTail: boolean;
  /** Where re-dispatch into the ConsumeQueues started. */
  redispatchedFrom: number;
  lastStoreTimestamp: number;
}

export interface RecoveryContext {
  commitLog: CommitLog;
  queues: ConsumeQueueTable;
  dispatcher: Dispatcher;
  checkpoint: StoreCheckpoint;
  checkCrc: boolean;
  cleanShutdown: boolean;
  /** Read chunk size: at least the largest possible record. */
  chunkSize: number;
}

export function recoverStore(ctx: RecoveryContext): RecoveryReport {
  const segments = ctx.commitLog.segments;
  const scannedFrom = chooseScanStart(segments, ctx.checkpoint);
  const scan = scanCommitLog(segments, scannedFrom, ctx.checkCrc, ctx.chunkSize);
  const end = scan.end;
  const cutTail = hasBytesAt(segments, end) || (segments.last()?.startOffset ?? 0) > end;
  segments.truncateFrom(end);

  for (const cq of ctx.queues.all()) {
    cq.truncateByCommitLogEnd(end);
    cq.clearTail();
  }

  const minOffset = segments.first()?.startOffset ?? 0;
  let redispatchedFrom = ctx.checkpoint.valid ? Math.min(ctx.checkpoint.dispatchedOffset, end) : minOffset;
  if (redispatchedFrom < minOffset) redispatchedFrom = minOffset;
  redispatch(segments, ctx.dispatcher, redispatchedFrom, end, ctx.chunkSize);
  ctx.dispatcher.dropArrivals();
  ctx.dispatcher.dispatchedOffset = end;

  // What recovery read may only be in the page cache (the process died, the OS did not).
  const from = segments.find(Math.min(scannedFrom, redispatchedFrom));
  for (const s of segments.segments) if (from !== undefined && s.startOffset >= from.startOffset) s.datasyncNow();
  ctx.queues.flushNow();

  const lastStoreTimestamp = scan.lastStoreTimestamp || ctx.checkpoint.physicMsgTimestamp;
  ctx.commitLog.setRecoveredEnd(end, lastStoreTimestamp);
  return { cleanShutdown: ctx.cleanShutdown, scannedFrom, commitLogEnd: end, cutTail, redispatchedFrom, lastStoreTimestamp };
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
export function scanCommitLog(segments: SegmentList, from: number, checkCrc: boolean, chunkSize: number): ScanResult {
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
      readRecordSummary(buf, p, s, n - p, checkCrc);
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

/** Whether bytes past the recovered end are non-zero, i.e. recovery cut a torn or garbage tail. */
function hasBytesAt(segments: SegmentList, offset: number): boolean {
  const holder = segments.find(offset);
  if (holder === undefined) return false;
  const probe = Buffer.alloc(Math.min(64, holder.endOffset - offset));
  holder.read(probe, 0, probe.length, offset - holder.startOffset);
  return probe.some((b) => b !== 0);
}

/** Feeds records in [from, to) to the dispatcher, chunk by chunk. */
export function redispatch(segments: SegmentList, dispatcher: Dispatcher, from: number, to: number, chunkSize: number): void {
  const buf = Buffer.allocUnsafe(chunkSize);
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
