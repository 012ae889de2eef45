/**
 * What a crash can do to the bytes that were not yet durable, done to a stopped store's files.
 *
 * SIGKILL alone loses nothing the broker wrote (the page cache survives the process); a power cut
 * or a kernel crash loses or tears what was not fdatasynced. These faults emulate that, and only
 * past the durable points: the CommitLog past max(last acknowledged byte, checkpoint's flushed
 * offset), ConsumeQueue units of messages past the checkpoint's dispatched offset, IndexFile
 * entries and slots past the count in the index header. Damage before those points would be
 * disk corruption, which no store survives and no test should pretend to.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { readInt64BE, writeInt64BE } from '../../message/int64.ts';
import { RecordStatus, newRecordSummary, readRecordSummary } from '../../message/stored-message.ts';
import { CQ_STORE_UNIT_SIZE } from '../../store/consume-queue.ts';
import { HASH_SLOT_SIZE, INDEX_ENTRY_SIZE, INDEX_FILE_NAME_PATTERN, INDEX_HEADER_SIZE } from '../../store/index-file.ts';
import { SEGMENT_NAME_PATTERN } from '../../store/segment-file.ts';
import { StoreCheckpoint } from '../../store/store-checkpoint.ts';
import type { SeededRandom } from '../../harness/seeded-random.ts';

export const FAULT_KINDS = ['none', 'zero-tail', 'truncate-file', 'flip-bytes', 'torn-sector', 'consumequeue-tail', 'index-tail'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

interface Segment {
  path: string;
  start: number;
}

export class StoreFiles {
  readonly root: string;
  readonly segmentSize: number;

  constructor(root: string, segmentSize: number) {
    this.root = root;
    this.segmentSize = segmentSize;
  }

  segments(): Segment[] {
    const dir = join(this.root, 'commitlog');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort().map((n) => ({ path: join(dir, n), start: Number(n) }));
  }

  private holder(offset: number): Segment | undefined {
    return this.segments().find((s) => offset >= s.start && offset < s.start + this.segmentSize);
  }

  read(offset: number, length: number): Buffer {
    const seg = this.holder(offset);
    const buf = Buffer.alloc(length);
    if (seg === undefined) return buf;
    const fd = fs.openSync(seg.path, 'r');
    try {
      fs.readSync(fd, buf, 0, Math.min(length, seg.start + this.segmentSize - offset), offset - seg.start);
    } finally {
      fs.closeSync(fd);
    }
    return buf;
  }

  /** TOTALSIZE of the record at `offset`. */
  recordSizeAt(offset: number): number {
    return this.read(offset, 4).readInt32BE(0);
  }

  checkpoint(): StoreCheckpoint {
    const cp = new StoreCheckpoint(join(this.root, 'checkpoint'));
    cp.load();
    return cp;
  }

  /** End of the last whole record reachable from `from` (a record boundary), following blanks into later segments. */
  dataEnd(from: number): number {
    const s = newRecordSummary();
    let pos = from;
    for (;;) {
      const seg = this.holder(pos);
      if (seg === undefined) return pos;
      const segEnd = seg.start + this.segmentSize;
      const head = this.read(pos, Math.min(8, segEnd - pos));
      if (head.length < 8) return pos;
      const size = head.readInt32BE(0);
      if (size <= 0 || pos + size > segEnd) return pos;
      const rec = this.read(pos, size);
      readRecordSummary(rec, 0, s, size);
      if (s.status === RecordStatus.BLANK) {
        if (this.holder(segEnd) === undefined) return pos;
        pos = segEnd;
        continue;
      }
      if (s.status !== RecordStatus.MESSAGE || s.physicalOffset !== pos) return pos;
      pos += size;
    }
  }

  private patch(offset: number, bytes: Buffer): void {
    const seg = this.holder(offset);
    if (seg === undefined) return;
    const n = Math.min(bytes.length, seg.start + this.segmentSize - offset);
    const fd = fs.openSync(seg.path, 'r+');
    try {
      fs.writeSync(fd, bytes, 0, n, offset - seg.start);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Applies one fault past `floor` (the durable point) up to `dataEnd` (what the broker wrote).
   * Returns a line saying what was done.
   */
  apply(kind: FaultKind, rng: SeededRandom, floor: number, dataEnd: number): string {
    const span = Math.max(0, dataEnd - floor);
    switch (kind) {
      case 'none':
        return 'no fault';
      case 'zero-tail': {
        // Pages that never reached the disk: zeros from the cut on, later segments never created.
        const cut = floor + Math.floor(rng.next() * (span + 1));
        const seg = this.holder(cut) ?? this.holder(Math.max(0, cut - 1));
        if (seg === undefined) return 'zero-tail: nothing to cut';
        if (cut < seg.start + this.segmentSize) this.patch(cut, Buffer.alloc(seg.start + this.segmentSize - cut));
        for (const later of this.segments()) if (later.start > seg.start) fs.rmSync(later.path);
        return `zero-tail: zeros from ${cut} (${dataEnd - cut} written bytes lost)`;
      }
      case 'truncate-file': {
        // The file length itself is torn (a crash while a segment was being created or grown).
        const seg = this.holder(Math.max(floor, dataEnd - 1)) ?? this.segments().at(-1);
        if (seg === undefined) return 'truncate-file: no segment';
        const minLen = Math.max(0, floor - seg.start);
        const maxLen = Math.max(minLen, dataEnd - seg.start);
        const len = minLen + Math.floor(rng.next() * (maxLen - minLen + 1));
        fs.truncateSync(seg.path, len);
        for (const later of this.segments()) if (later.start > seg.start) fs.rmSync(later.path);
        return `truncate-file: ${seg.path.split('/').pop()} cut to ${len} bytes`;
      }
      case 'flip-bytes': {
        if (span === 0) return 'flip-bytes: nothing written past the durable point';
        const n = rng.int(1, 8);
        const at: number[] = [];
        for (let i = 0; i < n; i++) {
          const pos = floor + Math.floor(rng.next() * span);
          const b = this.read(pos, 1);
          b[0] = b[0]! ^ rng.int(1, 255);
          this.patch(pos, b);
          at.push(pos);
        }
        return `flip-bytes: ${n} byte(s) at ${at.join(', ')}`;
      }
      case 'torn-sector': {
        if (span === 0) return 'torn-sector: nothing written past the durable point';
        const first = Math.ceil(floor / 512) * 512;
        if (first >= dataEnd) return 'torn-sector: no whole sector past the durable point';
        const sector = first + 512 * Math.floor(rng.next() * Math.ceil((dataEnd - first) / 512));
        const garbage = rng.chance(0.5) ? Buffer.alloc(512) : rng.fill(Buffer.alloc(512));
        this.patch(sector, garbage);
        return `torn-sector: 512 bytes at ${sector} ${garbage[0] === 0 && garbage.every((b) => b === 0) ? 'zeroed' : 'garbled'}`;
      }
      case 'consumequeue-tail':
        return this.tearConsumeQueue(rng);
      case 'index-tail':
        return this.tearIndex(rng);
    }
  }

  /** Garbles or zeroes units of one queue whose messages lie past the checkpoint's dispatched offset. */
  private tearConsumeQueue(rng: SeededRandom): string {
    const cp = this.checkpoint();
    const durable = cp.valid ? cp.dispatchedOffset : 0;
    const root = join(this.root, 'consumequeue');
    const queues: string[] = [];
    if (fs.existsSync(root)) {
      for (const t of fs.readdirSync(root)) for (const q of fs.readdirSync(join(root, t))) queues.push(join(root, t, q));
    }
    if (queues.length === 0) return 'consumequeue-tail: no queue';
    const dir = rng.pick(queues.sort());
    const files = fs.readdirSync(dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort();
    const candidates: { path: string; pos: number }[] = [];
    for (const name of files.slice(-2)) {
      const path = join(dir, name);
      const buf = fs.readFileSync(path);
      for (let p = 0; p + CQ_STORE_UNIT_SIZE <= buf.length; p += CQ_STORE_UNIT_SIZE) {
        const size = buf.readInt32BE(p + 8);
        if (size <= 0) break;
        if (readInt64BE(buf, p) >= durable && size !== 0x7fffffff) candidates.push({ path, pos: p });
      }
    }
    if (candidates.length === 0) return `consumequeue-tail: ${dir.split('/').slice(-2).join('/')} has no unit past the checkpoint`;
    const n = rng.int(1, Math.min(4, candidates.length));
    const touched: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = rng.pick(candidates);
      const unit = Buffer.alloc(CQ_STORE_UNIT_SIZE);
      const how = rng.pick(['zeroed', 'garbled', 'half-written'] as const);
      if (how === 'garbled') rng.fill(unit);
      const fd = fs.openSync(c.path, 'r+');
      try {
        // A half-written unit: only its first bytes changed.
        fs.writeSync(fd, unit, 0, how === 'half-written' ? 10 : CQ_STORE_UNIT_SIZE, c.pos);
      } finally {
        fs.closeSync(fd);
      }
      touched.push(`${how} unit ${c.pos / CQ_STORE_UNIT_SIZE} of ${c.path.split('/').slice(-3).join('/')}`);
    }
    return `consumequeue-tail: ${touched.join('; ')}`;
  }

  /** Garbles entries past the newest index file's header count and points slots at them (a flush cut short). */
  private tearIndex(rng: SeededRandom): string {
    const dir = join(this.root, 'index');
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => INDEX_FILE_NAME_PATTERN.test(n)).sort() : [];
    const name = names.at(-1);
    if (name === undefined) return 'index-tail: no index file';
    const path = join(dir, name);
    const size = fs.statSync(path).size;
    const slots = (size - INDEX_HEADER_SIZE) / (HASH_SLOT_SIZE + 4 * INDEX_ENTRY_SIZE);
    if (!Number.isInteger(slots)) return 'index-tail: unknown geometry';
    const fd = fs.openSync(path, 'r+');
    try {
      const head = Buffer.alloc(INDEX_HEADER_SIZE);
      fs.readSync(fd, head, 0, INDEX_HEADER_SIZE, 0);
      const count = head.readInt32BE(36);
      if (count < 1 || count >= slots * 4) return 'index-tail: file full or header unset';
      const entries = rng.int(1, Math.min(8, slots * 4 - count));
      const garbage = rng.fill(Buffer.alloc(entries * INDEX_ENTRY_SIZE));
      for (let i = 0; i < entries; i++) writeInt64BE(garbage, rng.int(0, 1 << 30), i * INDEX_ENTRY_SIZE + 4);
      fs.writeSync(fd, garbage, 0, garbage.length, INDEX_HEADER_SIZE + slots * HASH_SLOT_SIZE + count * INDEX_ENTRY_SIZE);
      const slotCount = rng.int(1, 8);
      const v = Buffer.alloc(HASH_SLOT_SIZE);
      for (let i = 0; i < slotCount; i++) {
        v.writeInt32BE(count + rng.int(0, entries - 1));
        fs.writeSync(fd, v, 0, HASH_SLOT_SIZE, INDEX_HEADER_SIZE + rng.int(0, slots - 1) * HASH_SLOT_SIZE);
      }
      return `index-tail: ${entries} garbage entr${entries === 1 ? 'y' : 'ies'} after entry ${count - 1} of ${name}, ${slotCount} slot(s) pointing at them`;
    } finally {
      fs.closeSync(fd);
    }
  }
}
