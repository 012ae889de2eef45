/**
 * Offline check of a store directory (`tern store verify DIR`). Opens every file read-only and
 * changes nothing: it reports what recovery would cut or rebuild, and what no recovery can fix.
 *
 * - CommitLog: every record from the first segment on: magic, size, PHYSICALOFFSET, body CRC;
 *   blanks closing their segment; bytes after the last valid record (a torn tail).
 * - Checkpoint: CRC, and no durable point past the log's end.
 * - ConsumeQueues: every unit against the record it points at (size, topic, queue, queue offset),
 *   and per queue, units against the queue's messages in the CommitLog.
 * - IndexFiles: header, slots and chains in range, and each entry pointing at a message that
 *   carries a key with the entry's hash.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readInt64BE } from '../message/int64.ts';
import { KEY_SEPARATOR, MessageConst, findProperty } from '../message/properties.ts';
import { RecordStatus, newRecordSummary, readRecordSummary } from '../message/stored-message.ts';
import type { RecordSummary } from '../message/stored-message.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import { BLANK_UNIT_SIZE, CQ_STORE_UNIT_SIZE, unitOffset, unitSize } from './consume-queue.ts';
import {
  HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_FILE_NAME_PATTERN, INDEX_HEADER_SIZE, decodeIndexHeader, indexKeyHash,
} from './index-file.ts';
import { buildIndexKey } from './index-service.ts';
import { SEGMENT_NAME_PATTERN } from './segment-file.ts';
import { StoreCheckpoint } from './store-checkpoint.ts';
import { isStoreLocked } from './store-lock.ts';

export interface VerifyOptions {
  /** Defaults to `<dir>/commitlog`. */
  commitLogDir?: string;
  /** Largest record to expect (default: 4 MiB body + properties + topic). */
  maxRecordSize?: number;
}

export interface VerifyReport {
  dir: string;
  /** A live broker holds the lock: the newest bytes may change under the check. */
  inUse: boolean | undefined;
  /** The abort file is there: the last run did not stop cleanly, recovery runs at the next start. */
  crashed: boolean;
  commitLog: {
    segments: number;
    segmentSize: number;
    minOffset: number;
    /** End of the last valid record: what recovery would keep. */
    end: number;
    messages: number;
    blanks: number;
    /** Bytes after `end` that are not zero (recovery would cut them). */
    tornTailBytes: number;
  };
  checkpoint: { valid: boolean; commitLogFlushedOffset: number; dispatchedOffset: number; indexedOffset: number };
  consumeQueues: { queues: number; units: number; expiredUnits: number };
  index: { files: number; entries: number };
  /** Damage no recovery repairs, or inconsistencies a clean store must not have. */
  errors: string[];
  /** What recovery would repair at the next start (expected after a crash). */
  warnings: string[];
}

const DEFAULT_MAX_RECORD = 4 * 1024 * 1024 + 2 * 32767 + 1024;
const CHUNK = 8 * 1024 * 1024;
const MAX_LISTED = 20;

interface QueueTally {
  /** Dispatchable messages of the queue found in the CommitLog. */
  messages: number;
  lastQueueOffset: number;
}

/** A read-only view of one segmented log directory. */
class ReadOnlySegments {
  readonly names: string[];
  readonly starts: number[];
  readonly size: number;
  private readonly fds: number[];
  readonly dir: string;

  constructor(dir: string, errors: string[], what: string) {
    this.dir = dir;
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort() : [];
    this.names = names;
    this.starts = names.map(Number);
    const sizes = names.map((n) => fs.statSync(join(dir, n)).size);
    this.size = names.length >= 2 ? this.starts[1]! - this.starts[0]! : (sizes[0] ?? 0);
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && this.starts[i] !== this.starts[i - 1]! + this.size) errors.push(`${what} ${names[i]}: not contiguous with ${names[i - 1]}`);
      if (sizes[i] !== this.size && i < names.length - 1) errors.push(`${what} ${names[i]}: ${sizes[i]} bytes, others are ${this.size}`);
    }
    this.fds = names.map((n) => fs.openSync(join(dir, n), 'r'));
  }

  get minOffset(): number {
    return this.starts[0] ?? 0;
  }

  get endOffset(): number {
    return this.starts.length === 0 ? 0 : this.starts.at(-1)! + this.size;
  }

  /** Index of the segment holding `offset`, or -1. */
  indexOf(offset: number): number {
    if (this.names.length === 0 || offset < this.minOffset || this.size <= 0) return -1;
    const i = Math.floor((offset - this.minOffset) / this.size);
    return i < this.names.length ? i : -1;
  }

  read(offset: number, target: Buffer, length: number): number {
    const i = this.indexOf(offset);
    if (i < 0) return 0;
    const within = offset - this.starts[i]!;
    const n = Math.min(length, this.size - within);
    let done = 0;
    while (done < n) {
      const r = fs.readSync(this.fds[i]!, target, done, n - done, within + done);
      if (r === 0) break;
      done += r;
    }
    return done;
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
  }
}

export function verifyStore(dir: string, options: VerifyOptions = {}): VerifyReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const crashed = fs.existsSync(join(dir, 'abort'));
  const report: VerifyReport = {
    dir,
    inUse: isStoreLocked(join(dir, 'lock')),
    crashed,
    commitLog: { segments: 0, segmentSize: 0, minOffset: 0, end: 0, messages: 0, blanks: 0, tornTailBytes: 0 },
    checkpoint: { valid: false, commitLogFlushedOffset: 0, dispatchedOffset: 0, indexedOffset: 0 },
    consumeQueues: { queues: 0, units: 0, expiredUnits: 0 },
    index: { files: 0, entries: 0 },
    errors,
    warnings,
  };
  if (!fs.existsSync(dir)) {
    errors.push(`${dir} does not exist`);
    return report;
  }
  // After a crash, what recovery repairs is expected; after a clean stop it is not.
  const repairable = (message: string) => (crashed ? warnings : errors).push(message);

  const log = new ReadOnlySegments(options.commitLogDir ?? join(dir, 'commitlog'), errors, 'commitlog');
  try {
    const tallies = new Map<string, QueueTally>();
    scanLog(log, options.maxRecordSize ?? DEFAULT_MAX_RECORD, report, tallies, repairable, errors);
    verifyCheckpoint(join(dir, 'checkpoint'), report, errors, warnings);
    verifyConsumeQueues(join(dir, 'consumequeue'), log, report, tallies, repairable, errors);
    verifyIndex(join(dir, 'index'), log, report, repairable, errors);
  } finally {
    log.close();
  }
  return report;
}

function scanLog(
  log: ReadOnlySegments, maxRecord: number, report: VerifyReport, tallies: Map<string, QueueTally>,
  repairable: (m: string) => void, errors: string[],
): void {
  const cl = report.commitLog;
  cl.segments = log.names.length;
  cl.segmentSize = log.size;
  cl.minOffset = log.minOffset;
  if (log.names.length === 0) return;
  const buf = Buffer.allocUnsafe(Math.max(CHUNK, maxRecord));
  const s = newRecordSummary();
  let pos = log.minOffset;
  let badReason = '';
  scan: for (;;) {
    const seg = log.indexOf(pos);
    if (seg < 0) break;
    const segEnd = log.starts[seg]! + log.size;
    const n = log.read(pos, buf, Math.min(buf.length, segEnd - pos));
    let p = 0;
    while (p < n) {
      readRecordSummary(buf, p, s, n - p, true);
      if (s.status === RecordStatus.MESSAGE) {
        if (s.physicalOffset !== pos + p) {
          badReason = `record at ${pos + p} says PHYSICALOFFSET ${s.physicalOffset}`;
          pos += p;
          break scan;
        }
        tally(tallies, s);
        cl.messages++;
        p += s.totalSize;
        continue;
      }
      if (s.status === RecordStatus.BLANK) {
        if (pos + p + s.totalSize !== segEnd) {
          badReason = `blank record at ${pos + p} covers ${s.totalSize} bytes, not the ${segEnd - pos - p} left in its segment`;
          pos += p;
          break scan;
        }
        cl.blanks++;
        pos = segEnd;
        continue scan;
      }
      if (s.status === RecordStatus.TRUNCATED && p > 0 && pos + n < segEnd) break; // continue from p with a new chunk
      badReason = describeBad(buf, p, s);
      pos += p;
      break scan;
    }
    pos += p;
    if (n === 0) break;
  }
  cl.end = pos;
  // What lies past the end: zeros are the unused rest of the log, anything else a torn tail or damage.
  let nonZero = 0;
  let validAfter = 0;
  for (let at = pos; at < log.endOffset; ) {
    const n = log.read(at, buf, Math.min(buf.length, log.endOffset - at));
    if (n === 0) break;
    for (let i = 0; i < n; i++) if (buf[i] !== 0) nonZero++;
    at += n;
  }
  if (nonZero > 0) {
    // A valid record further on means the damage is in the middle of the log, not at a torn tail.
    validAfter = countValidRecordsAfter(log, pos, buf);
    const where = `after the last valid record at ${pos}${badReason ? ` (${badReason})` : ''}`;
    if (validAfter > 0) errors.push(`commitlog: ${validAfter} valid record(s) lie beyond damage ${where}; recovery would cut them`);
    else repairable(`commitlog: ${nonZero} non-zero bytes ${where}: a torn tail recovery will cut`);
  }
  cl.tornTailBytes = nonZero;
}

function describeBad(buf: Buffer, p: number, s: RecordSummary): string {
  if (buf.length - p < 8) return 'truncated record';
  if (s.status === RecordStatus.TRUNCATED) return `record of ${s.totalSize} bytes runs past its segment`;
  if (s.magic !== -626843481 && s.magic !== -626843477) return `bad magic 0x${(s.magic >>> 0).toString(16)}`;
  return 'bad lengths or body CRC';
}

/** Counts records that parse (with CRC and their own offset) at any byte after `from`, probing the first chunk of each segment. */
function countValidRecordsAfter(log: ReadOnlySegments, from: number, buf: Buffer): number {
  const s = newRecordSummary();
  let found = 0;
  const firstSeg = log.indexOf(from);
  for (let seg = firstSeg; seg >= 0 && seg < log.names.length; seg++) {
    const segStart = Math.max(from, log.starts[seg]!);
    const n = log.read(segStart, buf, Math.min(buf.length, log.starts[seg]! + log.size - segStart));
    for (let p = seg === firstSeg ? 1 : 0; p + 8 <= n; p++) {
      if (buf.readInt32BE(p + 4) !== -626843481 && buf.readInt32BE(p + 4) !== -626843477) continue;
      readRecordSummary(buf, p, s, n - p, true);
      if (s.status === RecordStatus.MESSAGE && s.physicalOffset === segStart + p) found++;
    }
  }
  return found;
}

function tally(tallies: Map<string, QueueTally>, s: RecordSummary): void {
  const tt = transactionType(s.sysFlag);
  if (tt === MessageSysFlag.TRANSACTION_PREPARED_TYPE || tt === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
  const key = `${s.topic}/${s.queueId}`;
  const t = tallies.get(key);
  if (t === undefined) tallies.set(key, { messages: 1, lastQueueOffset: s.queueOffset });
  else {
    t.messages++;
    t.lastQueueOffset = s.queueOffset;
  }
}

function verifyCheckpoint(path: string, report: VerifyReport, errors: string[], warnings: string[]): void {
  const cp = new StoreCheckpoint(path);
  cp.load();
  report.checkpoint = {
    valid: cp.valid,
    commitLogFlushedOffset: cp.commitLogFlushedOffset,
    dispatchedOffset: cp.dispatchedOffset,
    indexedOffset: cp.indexedOffset,
  };
  if (!cp.valid) {
    if (fs.existsSync(path) || fs.existsSync(cp.backupPath)) warnings.push('checkpoint: CRC mismatch or wrong size, and no valid backup (recovery will scan the last three segments)');
    else if (report.commitLog.messages > 0) warnings.push('checkpoint: missing (recovery will scan the last three segments)');
    return;
  }
  if (cp.fromBackup) warnings.push('checkpoint: torn or missing; recovery will use checkpoint.bak');
  const end = report.commitLog.end;
  if (cp.commitLogFlushedOffset > end) {
    errors.push(`checkpoint: the CommitLog was durable up to ${cp.commitLogFlushedOffset}, but valid records end at ${end}: acknowledged data is damaged`);
  }
}

function verifyConsumeQueues(
  root: string, log: ReadOnlySegments, report: VerifyReport, tallies: Map<string, QueueTally>,
  repairable: (m: string) => void, errors: string[],
): void {
  const end = report.commitLog.end;
  const s = newRecordSummary();
  const rec = Buffer.allocUnsafe(DEFAULT_MAX_RECORD);
  const seen = new Set<string>();
  const topics = fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  for (const topic of topics) {
    const topicDir = join(root, topic);
    if (!fs.statSync(topicDir).isDirectory()) continue;
    for (const q of fs.readdirSync(topicDir).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
      const queueId = Number(q);
      const name = `${topic}/${queueId}`;
      seen.add(name);
      report.consumeQueues.queues++;
      const files = new ReadOnlySegments(join(topicDir, q), errors, `consumequeue ${name}`);
      try {
        if (files.size % CQ_STORE_UNIT_SIZE !== 0) errors.push(`consumequeue ${name}: file size ${files.size} is not whole 20-byte units`);
        let live = 0;
        let bad = 0;
        let firstBad = '';
        const units = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE * 4096);
        outer: for (let at = files.minOffset; at < files.endOffset; ) {
          const n = files.read(at, units, Math.min(units.length, files.endOffset - at));
          if (n < CQ_STORE_UNIT_SIZE) break;
          for (let i = 0; i < Math.floor(n / CQ_STORE_UNIT_SIZE); i++) {
            const offset = unitOffset(units, i);
            const size = unitSize(units, i);
            const queueOffset = (at + i * CQ_STORE_UNIT_SIZE) / CQ_STORE_UNIT_SIZE;
            if (offset < 0 || size <= 0) break outer; // end of data
            if (size === BLANK_UNIT_SIZE) continue;
            report.consumeQueues.units++;
            if (offset < log.minOffset) {
              report.consumeQueues.expiredUnits++;
              continue;
            }
            const got = offset + size <= end && size <= rec.length ? log.read(offset, rec, size) : 0;
            if (got === size) readRecordSummary(rec, 0, s, size);
            const ok =
              got === size && s.status === RecordStatus.MESSAGE && s.totalSize === size && s.physicalOffset === offset &&
              s.topic === topic && s.queueId === queueId && s.queueOffset === queueOffset;
            if (ok) live++;
            else {
              bad++;
              if (firstBad === '') firstBad = `queue offset ${queueOffset} -> commit log ${offset} (${size} bytes)`;
            }
          }
          at += Math.floor(n / CQ_STORE_UNIT_SIZE) * CQ_STORE_UNIT_SIZE;
        }
        if (bad > 0) repairable(`consumequeue ${name}: ${bad} unit(s) do not match the CommitLog, first ${firstBad}`);
        const inLog = tallies.get(name)?.messages ?? 0;
        if (live !== inLog) {
          repairable(`consumequeue ${name}: indexes ${live} of the ${inLog} messages the CommitLog holds for it`);
        }
      } finally {
        files.close();
      }
    }
  }
  const missing = [...tallies.keys()].filter((k) => !seen.has(k));
  if (missing.length > 0) {
    repairable(`consumequeue: no queue for ${missing.length} topic/queue(s) with messages: ${missing.slice(0, MAX_LISTED).join(', ')}`);
  }
}

function verifyIndex(root: string, log: ReadOnlySegments, report: VerifyReport, repairable: (m: string) => void, errors: string[]): void {
  if (!fs.existsSync(root)) return;
  const end = report.commitLog.end;
  const names = fs.readdirSync(root).filter((n) => INDEX_FILE_NAME_PATTERN.test(n)).sort();
  const s = newRecordSummary();
  const rec = Buffer.allocUnsafe(DEFAULT_MAX_RECORD);
  for (const name of names) {
    const path = join(root, name);
    const size = fs.statSync(path).size;
    // RocketMQ sizes the index at four entries per slot; find the geometry from the file size.
    const slots = (size - INDEX_HEADER_SIZE) / (HASH_SLOT_SIZE + 4 * INDEX_ENTRY_SIZE);
    if (!Number.isInteger(slots) || slots < 1) {
      errors.push(`index ${name}: ${size} bytes is not a 4-entries-per-slot layout; not checked`);
      continue;
    }
    const indexNum = slots * 4;
    report.index.files++;
    const fd = fs.openSync(path, 'r');
    try {
      const head = Buffer.alloc(INDEX_HEADER_SIZE);
      fs.readSync(fd, head, 0, INDEX_HEADER_SIZE, 0);
      const h = decodeIndexHeader(head);
      if (h.indexCount < 1 || h.indexCount > indexNum) {
        repairable(`index ${name}: header indexCount ${h.indexCount} out of range (torn header)`);
        continue;
      }
      const count = h.indexCount;
      report.index.entries += count - 1;
      const slotTable = Buffer.alloc(slots * HASH_SLOT_SIZE);
      fs.readSync(fd, slotTable, 0, slotTable.length, INDEX_HEADER_SIZE);
      let badSlots = 0;
      for (let p = 0; p < slotTable.length; p += HASH_SLOT_SIZE) {
        const v = slotTable.readInt32BE(p);
        if (v < 0 || v >= count) badSlots++;
      }
      if (badSlots > 0) repairable(`index ${name}: ${badSlots} hash slot(s) point past the ${count - 1} counted entries`);
      const entriesAt = INDEX_HEADER_SIZE + slots * HASH_SLOT_SIZE;
      const chunk = Buffer.allocUnsafe(INDEX_ENTRY_SIZE * 4096);
      let past = 0;
      let mismatched = 0;
      let firstMismatch = '';
      for (let first = 1; first < count; first += 4096) {
        const n = Math.min(4096, count - first);
        fs.readSync(fd, chunk, 0, n * INDEX_ENTRY_SIZE, entriesAt + first * INDEX_ENTRY_SIZE);
        for (let i = 0; i < n; i++) {
          const keyHash = chunk.readInt32BE(i * INDEX_ENTRY_SIZE);
          const phyOffset = readInt64BE(chunk, i * INDEX_ENTRY_SIZE + 4);
          const prev = chunk.readInt32BE(i * INDEX_ENTRY_SIZE + 16);
          if (prev < 0 || prev >= first + i) {
            errors.push(`index ${name}: entry ${first + i} chains forward to ${prev}`);
            continue;
          }
          if (phyOffset < log.minOffset) continue; // expired with its segment
          if (phyOffset >= end) {
            past++;
            continue;
          }
          if (!recordCarriesHash(log, phyOffset, keyHash, rec, s)) {
            mismatched++;
            if (firstMismatch === '') firstMismatch = `entry ${first + i} -> ${phyOffset}`;
          }
        }
      }
      if (past > 0) repairable(`index ${name}: ${past} entr${past === 1 ? 'y points' : 'ies point'} past the CommitLog end`);
      if (mismatched > 0) errors.push(`index ${name}: ${mismatched} entr${mismatched === 1 ? 'y does' : 'ies do'} not match a key of the message they point at, first ${firstMismatch}`);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function recordCarriesHash(log: ReadOnlySegments, offset: number, keyHash: number, rec: Buffer, s: RecordSummary): boolean {
  const head = log.read(offset, rec, 4);
  if (head !== 4) return false;
  const size = rec.readInt32BE(0);
  if (size <= 0 || size > rec.length || log.read(offset, rec, size) !== size) return false;
  readRecordSummary(rec, 0, s, size);
  if (s.status !== RecordStatus.MESSAGE) return false;
  const props = rec.toString('utf8', s.propertiesPosition, s.propertiesPosition + s.propertiesLength);
  const uniq = findProperty(props, MessageConst.UNIQ_KEY);
  if (uniq !== undefined && indexKeyHash(buildIndexKey(s.topic, uniq)) === keyHash) return true;
  const keys = findProperty(props, MessageConst.KEYS);
  return keys !== undefined && keys.split(KEY_SEPARATOR).some((k) => k.length > 0 && indexKeyHash(buildIndexKey(s.topic, k)) === keyHash);
}
