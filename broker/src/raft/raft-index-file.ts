import fs from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * The raft index file: one fixed-size record per Raft index (index i at (i - 1) * 32), saying where
 * the entry's bytes are. Shared by the broker's CommitLog adapter (offset = CommitLog offset) and the
 * file-backed entry store of tests and tools.
 * Record: term u64, offset u64, length u32, CRC32 of the entry's data u32, flags u8 (bit 0: no-op,
 * data null), 3 zero bytes, CRC32 of the 28 bytes before it. An all-zero record fails its CRC.
 */
export interface RaftIndexRecord {
  term: number;
  offset: number;
  length: number;
  dataCrc: number;
  noop: boolean;
}

export const INDEX_RECORD_SIZE = 32;
const NOOP = 1;

export function encodeIndexRecord(r: RaftIndexRecord, into: Buffer, at: number): void {
  into.fill(0, at, at + INDEX_RECORD_SIZE);
  into.writeBigUInt64BE(BigInt(r.term), at);
  into.writeBigUInt64BE(BigInt(r.offset), at + 8);
  into.writeUInt32BE(r.length, at + 16);
  into.writeUInt32BE(r.dataCrc, at + 20);
  into.writeUInt8(r.noop ? NOOP : 0, at + 24);
  into.writeUInt32BE(crc32(into.subarray(at, at + 28)), at + 28);
}

/** The record, or null when its CRC does not hold (torn or corrupt). */
export function decodeIndexRecord(b: Buffer, at: number): RaftIndexRecord | null {
  if (b.readUInt32BE(at + 28) !== crc32(b.subarray(at, at + 28))) return null;
  return {
    term: Number(b.readBigUInt64BE(at)),
    offset: Number(b.readBigUInt64BE(at + 8)),
    length: b.readUInt32BE(at + 16),
    dataCrc: b.readUInt32BE(at + 20),
    noop: (b.readUInt8(at + 24) & NOOP) !== 0,
  };
}

export class RaftIndexFile {
  readonly path: string;
  private readonly fd: number;
  private last: number;
  /** Records cut from the tail on open (a torn write or a record that fails its CRC). */
  readonly cutOnOpen: number;

  /** Opens (or creates) the file and cuts a torn tail: a partial record and trailing records that fail their CRC. */
  constructor(file: string) {
    this.path = file;
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    const size = fs.fstatSync(this.fd).size;
    const whole = Math.floor(size / INDEX_RECORD_SIZE);
    let last = whole;
    const b = Buffer.alloc(INDEX_RECORD_SIZE);
    while (last > 0) {
      fs.readSync(this.fd, b, 0, INDEX_RECORD_SIZE, (last - 1) * INDEX_RECORD_SIZE);
      if (decodeIndexRecord(b, 0) !== null) break;
      last--;
    }
    this.cutOnOpen = whole - last + (size % INDEX_RECORD_SIZE === 0 ? 0 : 1);
    if (last * INDEX_RECORD_SIZE !== size) fs.ftruncateSync(this.fd, last * INDEX_RECORD_SIZE);
    this.last = last;
  }

  /** The last index recorded (0 when empty). */
  lastIndex(): number {
    return this.last;
  }

  /** RaftEntryStore.term over this file: 0 for index 0, undefined outside 1..lastIndex(). */
  termAt(index: number): number | undefined {
    if (index === 0) return 0;
    if (index < 0 || index > this.last) return undefined;
    return this.read(index).term;
  }

  /** The record of index; throws when it is out of range or corrupt (a record inside the file, not a torn tail). */
  read(index: number): RaftIndexRecord {
    return this.readRange(index, index + 1)[0]!;
  }

  /** Records [lo, hi) in one read. */
  readRange(lo: number, hi: number): RaftIndexRecord[] {
    if (lo < 1 || hi > this.last + 1 || lo > hi) throw new Error(`raft index file ${this.path}: [${lo}, ${hi}) outside 1..${this.last}`);
    const b = Buffer.alloc((hi - lo) * INDEX_RECORD_SIZE);
    fs.readSync(this.fd, b, 0, b.length, (lo - 1) * INDEX_RECORD_SIZE);
    const out: RaftIndexRecord[] = [];
    for (let i = lo; i < hi; i++) {
      const r = decodeIndexRecord(b, (i - lo) * INDEX_RECORD_SIZE);
      if (r === null) throw new Error(`raft index file ${this.path}: record ${i} is corrupt (CRC mismatch)`);
      out.push(r);
    }
    return out;
  }

  /** Records for lastIndex()+1 onwards. */
  append(records: readonly RaftIndexRecord[]): void {
    if (records.length === 0) return;
    const b = Buffer.alloc(records.length * INDEX_RECORD_SIZE);
    records.forEach((r, i) => encodeIndexRecord(r, b, i * INDEX_RECORD_SIZE));
    fs.writeSync(this.fd, b, 0, b.length, this.last * INDEX_RECORD_SIZE);
    this.last += records.length;
  }

  /** Drops index and every record after it. */
  truncateFrom(index: number): void {
    if (index < 1) throw new Error(`raft index file ${this.path}: truncate from ${index}`);
    if (index > this.last) return;
    fs.ftruncateSync(this.fd, (index - 1) * INDEX_RECORD_SIZE);
    this.last = index - 1;
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
