import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { SEGMENT_NAME_PATTERN, SegmentFile, segmentFileName, syncDirectory } from './segment-file.ts';

const ALLOCATING_SUFFIX = '.allocating';

/**
 * The ordered, contiguous files of one segmented log: segment i covers
 * [first.start + i*size, first.start + (i+1)*size). RocketMQ's MappedFileQueue, minus mmap.
 */
export class SegmentList {
  readonly dir: string;
  private size: number;
  readonly segments: SegmentFile[] = [];
  private preallocating: Promise<void> | null = null;

  constructor(dir: string, segmentSize: number) {
    this.dir = dir;
    this.size = segmentSize;
  }

  /** Bytes per segment: the configured size, or the one the files on disk were written with. */
  get segmentSize(): number {
    return this.size;
  }

  /**
   * Reads the directory. The segment size is the store's, not the config's: file names give it
   * (the distance between the first two starts), else a single file's length when larger than
   * configured. A last file shorter than that is a crash while it was being created or extended:
   * it is grown back to full size (appended bytes were never acknowledged). Files of another
   * size in the middle, or gaps, are refused. Returns what was adjusted, for the log.
   */
  load(): string[] {
    const notes: string[] = [];
    fs.mkdirSync(this.dir, { recursive: true });
    const entries = fs.readdirSync(this.dir);
    // A pre-allocation cut short by a crash.
    for (const n of entries) if (n.endsWith(ALLOCATING_SUFFIX)) fs.rmSync(join(this.dir, n), { force: true });
    const names = entries.filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort();
    this.segments.length = 0;
    if (names.length === 0) return notes;
    const starts = names.map(Number);
    const sizes = names.map((n) => fs.statSync(join(this.dir, n)).size);
    let size = this.size;
    if (names.length >= 2) size = starts[1]! - starts[0]!;
    else if (sizes[0]! > size) size = sizes[0]!;
    if (size !== this.size) {
      notes.push(`${this.dir}: segments on disk are ${size} bytes (configured ${this.size}); keeping ${size}`);
      this.size = size;
    }
    for (let i = 0; i < names.length; i++) {
      const path = join(this.dir, names[i]!);
      const start = starts[i]!;
      const isLast = i === names.length - 1;
      if (i > 0 && start !== starts[i - 1]! + size) {
        throw new Error(`${path}: expected a segment starting at ${starts[i - 1]! + size}; the store has a gap or mixed segment sizes`);
      }
      if (sizes[i] !== size) {
        if (!isLast || sizes[i]! > size) {
          throw new Error(`${path}: size ${sizes[i]} differs from the store's segment size ${size}`);
        }
        fs.truncateSync(path, size);
        notes.push(`${path}: was ${sizes[i]} bytes long (torn creation), grown back to ${size}`);
      }
      this.segments.push(new SegmentFile(path, start, size));
    }
    return notes;
  }

  get isEmpty(): boolean {
    return this.segments.length === 0;
  }

  first(): SegmentFile | undefined {
    return this.segments[0];
  }

  last(): SegmentFile | undefined {
    return this.segments.at(-1);
  }

  /** The segment holding logical `offset`, if present. */
  find(offset: number): SegmentFile | undefined {
    const first = this.segments[0];
    if (first === undefined || offset < first.startOffset) return undefined;
    return this.segments[Math.floor((offset - first.startOffset) / this.size)];
  }

  /**
   * The segment holding `offset`, creating it when it is the next one (or the very first,
   * which then starts at the segment boundary at or below `offset`).
   */
  findOrCreate(offset: number): SegmentFile {
    const found = this.find(offset);
    if (found !== undefined) return found;
    const last = this.last();
    let start: number;
    if (last === undefined) start = offset - (offset % this.size);
    else if (offset >= last.endOffset && offset < last.endOffset + this.size) start = last.endOffset;
    else throw new Error(`offset ${offset} is not next to the last segment of ${this.dir}`);
    if (this.segments.length === 0) this.ensureDir();
    const seg = SegmentFile.create(this.dir, start, this.size);
    syncDirectory(this.dir);
    this.segments.push(seg);
    return seg;
  }

  /** Creates the directory (a new queue's) and makes the new entries durable. */
  private ensureDir(): void {
    const made = fs.mkdirSync(this.dir, { recursive: true });
    if (made === undefined) return;
    for (let d = this.dir; d !== dirname(made); d = dirname(d)) syncDirectory(dirname(d));
  }

  /** Drops everything at and after `offset`: the segment holding it is zeroed from there, later ones deleted. */
  truncateFrom(offset: number): void {
    let removed = false;
    while (this.segments.length > 0 && this.segments.at(-1)!.startOffset > offset) {
      this.segments.pop()!.delete();
      removed = true;
    }
    const holder = this.find(offset);
    if (holder !== undefined && offset < holder.endOffset) holder.zeroFrom(offset - holder.startOffset);
    if (removed) syncDirectory(this.dir);
  }

  /**
   * Creates the segment after the last one in the background (thread pool), so a rollover finds
   * it ready: open, size, directory entry made durable and, with `warm`, every block written once.
   * A rollover that comes first creates it synchronously; this then only adds what is missing.
   */
  preallocateNext(warm: boolean, onError: (err: unknown) => void): void {
    const last = this.last();
    if (last === undefined || this.preallocating !== null) return;
    const start = last.endOffset;
    const path = join(this.dir, segmentFileName(start));
    // Built under a temporary name and linked into place: link() fails if a rollover created the
    // segment meanwhile, so these writes can never land on appended records.
    const tmp = `${path}${ALLOCATING_SUFFIX}`;
    const run = async (): Promise<void> => {
      const fh = await fs.promises.open(tmp, 'w', 0o644);
      try {
        await fh.truncate(this.size);
        if (warm) {
          const zeros = Buffer.alloc(Math.min(this.size, 1024 * 1024));
          for (let pos = 0; pos < this.size && this.find(start) === undefined; pos += zeros.length) {
            await fh.write(zeros, 0, Math.min(zeros.length, this.size - pos), pos);
          }
        }
        // The size too must be durable before the segment is linked in (SegmentFile.create says why).
        await fh.datasync();
      } finally {
        await fh.close();
      }
      try {
        if (this.find(start) === undefined) await fs.promises.link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        await fs.promises.rm(tmp, { force: true });
      }
      const dirFh = await fs.promises.open(this.dir, 'r');
      try {
        await dirFh.sync();
      } finally {
        await dirFh.close();
      }
      if (this.last()?.endOffset === start && fs.existsSync(path)) this.segments.push(new SegmentFile(path, start, this.size));
      // A truncation moved the log's end back meanwhile: the file would sit past a gap.
      else if (this.find(start) === undefined) fs.rmSync(path, { force: true });
    };
    this.preallocating = run()
      .catch(onError)
      .finally(() => {
        this.preallocating = null;
      });
  }

  /** Waits for a background pre-allocation (before closing files). */
  async settle(): Promise<void> {
    await this.preallocating;
  }

  /** Deletes the first `count` segments (retention); the list stays contiguous. */
  deleteHead(count: number): void {
    const gone = this.segments.splice(0, count);
    for (const s of gone) s.delete();
    if (gone.length > 0) syncDirectory(this.dir);
  }

  closeAll(): void {
    for (const s of this.segments) s.close();
  }

  deleteAll(): void {
    for (const s of this.segments) s.delete();
    this.segments.length = 0;
  }
}
