/**
 * The IndexFiles under `<root>/index`: builds entries for each dispatched message's UNIQ_KEY and
 * KEYS (as `topic#key`), answers key queries over a time range, rolls to a new file when one is
 * full, and drops files wholly behind the CommitLog's start.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { KEY_SEPARATOR } from '../message/properties.ts';
import { MessageSysFlag, transactionType } from '../message/sys-flag.ts';
import { INDEX_FILE_NAME_PATTERN, IndexFile, indexFileName, indexKeyHash } from './index-file.ts';
import { syncDirectory } from './segment-file.ts';

export interface IndexServiceOptions {
  dir: string;
  hashSlotNum: number;
  indexNum: number;
  /** Cap on offsets one query returns (maxMsgsNumBatch). */
  maxMsgsNumBatch: number;
  warn: (message: string) => void;
}

export interface QueryOffsetResult {
  phyOffsets: number[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

export function buildIndexKey(topic: string, key: string): string {
  return `${topic}#${key}`;
}

export class IndexService {
  private readonly options: IndexServiceOptions;
  private readonly files: IndexFile[] = [];
  /** CommitLog offset of the last message whose keys are in the index; -1 if none. */
  private indexedThrough = -1;
  private flushInFlight: Promise<void> | null = null;

  constructor(options: IndexServiceOptions) {
    this.options = options;
  }

  get dir(): string {
    return this.options.dir;
  }

  get fileCount(): number {
    return this.files.length;
  }

  /** Opens the files in name (= creation) order. */
  load(): void {
    const { dir, hashSlotNum, indexNum } = this.options;
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(dir).filter((n) => INDEX_FILE_NAME_PATTERN.test(n)).sort()) {
      if (fs.statSync(join(dir, name)).size === 0) {
        // Created but never sized: a crash inside IndexFile.create.
        fs.rmSync(join(dir, name));
        continue;
      }
      const f = IndexFile.open(dir, name, hashSlotNum, indexNum);
      if (typeof f === 'string') this.options.warn(f);
      else this.files.push(f);
    }
    this.updateIndexedThrough();
  }

  /**
   * Recovery: restores the header of any older file that counts fewer entries than its seal wrote,
   * drops entries for messages at or after the recovered CommitLog end (newest files first; a
   * file that only holds such entries goes), then makes the newest file writable, repairing its
   * slots if a crash interrupted a flush. Returns a line for the log, or ''.
   */
  recover(commitLogEnd: number, storeTimeOf: (phyOffset: number) => number): string {
    const notes: string[] = [];
    for (const f of this.files.slice(0, -1)) {
      if (f.isWriteFull) continue;
      const counted = f.header.indexCount - 1;
      if (f.restoreSealedHeader(storeTimeOf)) notes.push(`restored the header of ${f.name}, sealed full but counting ${counted} entries`);
      else {
        // The uncounted entries are not on disk: keep the counted ones answering.
        f.repairSlots();
        f.seal();
        notes.push(`${f.name} counts ${counted} of ${f.indexNum - 1} entries and the rest are not on disk: keys of those messages are not indexed`);
      }
    }
    while (this.files.length > 0) {
      const f = this.files.at(-1)!;
      if (this.files.length > 1 && (!f.hasEntries || f.header.beginPhyOffset >= commitLogEnd)) {
        // Empty, or only entries past the end: the file before it takes entries again.
        this.files.pop();
        f.destroy();
        if (f.hasEntries) notes.push(`deleted ${f.name} (only entries past the CommitLog end)`);
        continue;
      }
      const dropped = f.trimTo(commitLogEnd, storeTimeOf);
      if (dropped > 0) notes.push(`dropped ${dropped} entries past the CommitLog end from ${f.name}`);
      break;
    }
    const last = this.files.at(-1);
    if (last !== undefined && !last.isWriteFull && last.repairSlots()) notes.push(`rebuilt the hash slots of ${last.name}`);
    this.updateIndexedThrough();
    return notes.join('; ');
  }

  private updateIndexedThrough(): void {
    this.indexedThrough = -1;
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (!f.hasEntries) continue;
      // A message's keys may straddle a full file and the next: a full file's last message is
      // indexed again (queries drop the duplicate offsets).
      this.indexedThrough = f.isWriteFull ? f.header.endPhyOffset - 1 : f.header.endPhyOffset;
      break;
    }
  }

  /** Index entries for one dispatched message; idempotent across re-dispatch. */
  add(topic: string, phyOffset: number, storeTimestamp: number, sysFlag: number, uniqKey: string | undefined, keys: string | undefined): void {
    if (phyOffset <= this.indexedThrough) return;
    if (transactionType(sysFlag) === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    if (uniqKey !== undefined && uniqKey.length > 0) this.putKey(buildIndexKey(topic, uniqKey), phyOffset, storeTimestamp);
    if (keys !== undefined && keys.length > 0) {
      for (const key of keys.split(KEY_SEPARATOR)) if (key.length > 0) this.putKey(buildIndexKey(topic, key), phyOffset, storeTimestamp);
    }
    this.indexedThrough = phyOffset;
  }

  private putKey(indexKey: string, phyOffset: number, storeTimestamp: number): void {
    const hash = indexKeyHash(indexKey);
    let f = this.writableFile();
    if (!f.put(hash, phyOffset, storeTimestamp)) {
      f = this.writableFile();
      if (!f.put(hash, phyOffset, storeTimestamp)) throw new Error(`index file ${f.name} refused a key right after creation`);
    }
  }

  /** The newest file if it has room; else a new one (the full one is flushed and sealed first). */
  private writableFile(): IndexFile {
    const last = this.files.at(-1);
    if (last !== undefined && !last.isWriteFull) {
      last.makeWritable();
      return last;
    }
    if (last !== undefined) last.seal();
    const { dir, hashSlotNum, indexNum } = this.options;
    let time = Date.now();
    let name = indexFileName(time);
    // Names order the files: never reuse or go back (clock steps, two files in one millisecond).
    while (last !== undefined && name <= last.name) name = indexFileName(++time);
    const f = IndexFile.create(dir, name, hashSlotNum, indexNum, last?.header.endPhyOffset ?? 0, last?.header.endTimestamp ?? 0);
    syncDirectory(dir);
    this.files.push(f);
    return f;
  }

  /** Writes entries put during a dispatch batch (called once per batch). */
  writePending(): void {
    this.files.at(-1)?.writePending();
  }

  /**
   * Offsets of messages indexed under `topic#key` stored within [begin, end], newest files
   * first, at most min(maxNum, maxMsgsNumBatch); `accept` confirms a candidate (hash collisions).
   */
  queryOffsets(topic: string, key: string, maxNum: number, begin: number, end: number, accept: (phyOffset: number) => boolean): QueryOffsetResult {
    const limit = Math.max(0, Math.min(maxNum, this.options.maxMsgsNumBatch));
    const out: number[] = [];
    const last = this.files.at(-1);
    const result: QueryOffsetResult = {
      phyOffsets: out,
      indexLastUpdateTimestamp: last?.header.endTimestamp ?? 0,
      indexLastUpdatePhyoffset: last?.header.endPhyOffset ?? 0,
    };
    if (limit === 0) return result;
    const hash = indexKeyHash(buildIndexKey(topic, key));
    const seen = new Set<number>();
    const acceptOnce = (phyOffset: number): boolean => {
      if (seen.has(phyOffset)) return false;
      seen.add(phyOffset);
      return accept(phyOffset);
    };
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      if (f.isTimeMatched(begin, end)) f.select(hash, limit, begin, end, acceptOnce, out);
      if (f.header.beginTimestamp < begin || out.length >= limit) break;
    }
    return result;
  }

  /** Deletes files (never the newest) whose entries all point before `minPhyOffset`. */
  deleteExpiredFiles(minPhyOffset: number): number {
    if (this.flushInFlight !== null) return 0;
    let n = 0;
    while (n < this.files.length - 1 && this.files[n]!.header.endPhyOffset < minPhyOffset) n++;
    for (const f of this.files.splice(0, n)) f.destroy();
    if (n > 0) syncDirectory(this.options.dir);
    return n;
  }

  /** Makes every entry so far durable (files, then the caller records the covered offset in the checkpoint). */
  flush(): Promise<void> {
    // Entries put after a flush in flight started need a flush of their own.
    if (this.flushInFlight !== null) return this.flushInFlight.catch(() => undefined).then(() => this.flush());
    const files = this.files.filter((f) => f.needsFlush);
    this.flushInFlight = Promise.all(files.map((f) => f.flush()))
      .then(() => undefined)
      .finally(() => {
        this.flushInFlight = null;
      });
    return this.flushInFlight;
  }

  async settle(): Promise<void> {
    await this.flushInFlight?.catch(() => undefined);
  }

  flushNow(): void {
    for (const f of this.files) f.flushNow();
  }

  /** Store time of the newest indexed message (the checkpoint's indexMsgTimestamp). */
  get lastTimestamp(): number {
    return this.files.at(-1)?.header.endTimestamp ?? 0;
  }

  /** Read access for `tern store verify`. */
  get indexFiles(): readonly IndexFile[] {
    return this.files;
  }

  closeAll(): void {
    for (const f of this.files) f.close();
  }
}
