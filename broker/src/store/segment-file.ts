import * as fs from 'node:fs';
import { join } from 'node:path';

/** Segment files are named by their first byte's logical offset, 20 digits zero-padded. */
export function segmentFileName(startOffset: number): string {
  return String(startOffset).padStart(20, '0');
}

export const SEGMENT_NAME_PATTERN = /^\d{20}$/;

/**
 * One fixed-size file of a segmented log (CommitLog or ConsumeQueue). Created sparse, at full
 * size, so "end of data" is found by content, never by file length. All I/O is positional.
 */
export class SegmentFile {
  readonly path: string;
  readonly startOffset: number;
  readonly size: number;
  private fd = -1;
  private deleted = false;

  constructor(path: string, startOffset: number, size: number) {
    this.path = path;
    this.startOffset = startOffset;
    this.size = size;
  }

  get endOffset(): number {
    return this.startOffset + this.size;
  }

  /**
   * Creates the file sparse (no O_TRUNC: an existing file keeps its data) at its full size. The size is
   * fdatasynced: a crash must not leave a short segment in front of later ones, which recovery refuses.
   */
  static create(dir: string, startOffset: number, size: number): SegmentFile {
    const file = new SegmentFile(join(dir, segmentFileName(startOffset)), startOffset, size);
    const fd = fs.openSync(file.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    file.fd = fd;
    if (fs.fstatSync(fd).size !== size) {
      fs.ftruncateSync(fd, size);
      fs.fdatasyncSync(fd);
    }
    return file;
  }

  private handle(): number {
    if (this.fd < 0) this.fd = fs.openSync(this.path, fs.constants.O_RDWR);
    return this.fd;
  }

  write(buf: Uint8Array, offset: number, length: number, filePosition: number): void {
    const fd = this.handle();
    let done = 0;
    while (done < length) {
      done += fs.writeSync(fd, buf, offset + done, length - done, filePosition + done);
    }
  }

  /** Reads up to `length` bytes; returns how many were read (short only at end of file). */
  read(buf: Uint8Array, offset: number, length: number, filePosition: number): number {
    const fd = this.handle();
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buf, offset + done, length - done, filePosition + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** fdatasync off the event loop (libuv thread pool). */
  datasync(): Promise<void> {
    // A flush that listed the segment before a truncation deleted it has nothing left to sync.
    if (this.deleted) return Promise.resolve();
    const fd = this.handle();
    return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  datasyncNow(): void {
    if (this.fd >= 0) fs.fdatasyncSync(this.fd);
  }

  /**
   * Zeroes everything from `filePosition` to the end by shrinking and regrowing the file:
   * no bytes are written, and stale data past a recovered end can never resurface.
   */
  zeroFrom(filePosition: number): void {
    const fd = this.handle();
    fs.ftruncateSync(fd, filePosition);
    fs.ftruncateSync(fd, this.size);
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }

  delete(): void {
    this.deleted = true;
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}

/** Makes a directory entry change (file created or removed) durable. */
export function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Segments written since their last fdatasync. A failed sync puts them back, so the next flush retries them. */
export class DirtySegments {
  private readonly set = new Set<SegmentFile>();

  add(seg: SegmentFile): void {
    this.set.add(seg);
  }

  /** The segment is being deleted: nothing left to sync. */
  delete(seg: SegmentFile): void {
    this.set.delete(seg);
  }

  has(seg: SegmentFile): boolean {
    return this.set.has(seg);
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }

  async syncAll(): Promise<void> {
    const segs = [...this.set];
    this.set.clear();
    try {
      await Promise.all(segs.map((s) => s.datasync()));
    } catch (err) {
      for (const s of segs) this.set.add(s);
      throw err;
    }
  }

  syncAllNow(): void {
    for (const s of this.set) s.datasyncNow();
    this.set.clear();
  }
}
