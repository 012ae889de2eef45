import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { SEGMENT_NAME_PATTERN, SegmentFile, syncDirectory } from './segment-file.ts';

/**
 * The ordered, contiguous files of one segmented log: segment i covers
 * [first.start + i*size, first.start + (i+1)*size). RocketMQ's MappedFileQueue, minus mmap.
 */
export class SegmentList {
  readonly dir: string;
  readonly segmentSize: number;
  readonly segments: SegmentFile[] = [];

  constructor(dir: string, segmentSize: number) {
    this.dir = dir;
    this.segmentSize = segmentSize;
  }

  /** Reads the directory. Refuses files of another size or gaps between files. */
  load(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const names = fs.readdirSync(this.dir).filter((n) => SEGMENT_NAME_PATTERN.test(n)).sort();
    this.segments.length = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      const size = fs.statSync(path).size;
      const start = Number(name);
      if (size !== this.segmentSize) {
        throw new Error(`${path}: size ${size} differs from the configured segment size ${this.segmentSize}`);
      }
      const prev = this.segments.at(-1);
      if (prev !== undefined && prev.endOffset !== start) {
        throw new Error(`${path}: expected a segment starting at ${prev.endOffset}`);
      }
      this.segments.push(new SegmentFile(path, start, size));
    }
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
    return this.segments[Math.floor((offset - first.startOffset) / this.segmentSize)];
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
    if (last === undefined) start = offset - (offset % this.segmentSize);
    else if (offset >= last.endOffset && offset < last.endOffset + this.segmentSize) start = last.endOffset;
    else throw new Error(`offset ${offset} is not next to the last segment of ${this.dir}`);
    if (this.segments.length === 0) this.ensureDir();
    const seg = SegmentFile.create(this.dir, start, this.segmentSize);
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

  closeAll(): void {
    for (const s of this.segments) s.close();
  }

  deleteAll(): void {
    for (const s of this.segments) s.delete();
    this.segments.length = 0;
  }
}
