import * as fs from 'node:fs';
import { rocketmqCrc32 } from '../message/crc32.ts';
import { readInt64BE, writeInt64BE } from '../message/int64.ts';

const FILE_SIZE = 4096;
const CRC_POSITION = FILE_SIZE - 4;

/**
 * The `checkpoint` file: RocketMQ's five longs at their usual positions, then Tern's own
 * recovery points, and a CRC over the page so a torn write is detected and ignored. A copy,
 * `checkpoint.bak`, is written just before it, so a crash in the middle of a write leaves one
 * of the two valid and recovery never falls back to a full rebuild for it.
 *
 *   0 physicMsgTimestamp  8 logicsMsgTimestamp  16 indexMsgTimestamp  24 masterFlushedOffset
 *  32 confirmPhyOffset  40 commitLogFlushedOffset  48 dispatchedOffset  56 indexedOffset  4092 crc32
 *
 * commitLogFlushedOffset: a record boundary below which the CommitLog is durable.
 * dispatchedOffset: a record boundary below which every ConsumeQueue unit is durable.
 * indexedOffset: a record boundary below which every IndexFile entry is durable.
 */
export class StoreCheckpoint {
  readonly path: string;
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  masterFlushedOffset = 0;
  confirmPhyOffset = 0;
  commitLogFlushedOffset = 0;
  dispatchedOffset = 0;
  indexedOffset = 0;
  /** False when neither the file nor its backup passed the CRC: nothing in them can be trusted. */
  valid = false;
  /** The page came from `checkpoint.bak` (the main one was torn or missing). */
  fromBackup = false;
  private writing: Promise<void> | null = null;

  constructor(path: string) {
    this.path = path;
  }

  get backupPath(): string {
    return `${this.path}.bak`;
  }

  /**
   * Reads the page, or its backup when the page is torn or missing. Every point in the page only
   * grows, and the backup is written first, so whichever is valid is a correct lower bound.
   */
  load(): void {
    const buf = readValidPage(this.path) ?? readValidPage(this.backupPath);
    this.fromBackup = buf !== undefined && readValidPage(this.path) === undefined;
    if (buf === undefined) {
      this.valid = false;
      return;
    }
    this.physicMsgTimestamp = readInt64BE(buf, 0);
    this.logicsMsgTimestamp = readInt64BE(buf, 8);
    this.indexMsgTimestamp = readInt64BE(buf, 16);
    this.masterFlushedOffset = readInt64BE(buf, 24);
    this.confirmPhyOffset = readInt64BE(buf, 32);
    this.commitLogFlushedOffset = readInt64BE(buf, 40);
    this.dispatchedOffset = readInt64BE(buf, 48);
    this.indexedOffset = readInt64BE(buf, 56);
    this.valid = true;
  }

  private encode(): Buffer {
    const buf = Buffer.alloc(FILE_SIZE);
    writeInt64BE(buf, this.physicMsgTimestamp, 0);
    writeInt64BE(buf, this.logicsMsgTimestamp, 8);
    writeInt64BE(buf, this.indexMsgTimestamp, 16);
    writeInt64BE(buf, this.masterFlushedOffset, 24);
    writeInt64BE(buf, this.confirmPhyOffset, 32);
    writeInt64BE(buf, this.commitLogFlushedOffset, 40);
    writeInt64BE(buf, this.dispatchedOffset, 48);
    writeInt64BE(buf, this.indexedOffset, 56);
    buf.writeInt32BE(rocketmqCrc32(buf, 0, CRC_POSITION), CRC_POSITION);
    return buf;
  }

  /** Overwrites the page in place and fdatasyncs it, off the event loop. */
  /** Writes the backup, then the page (each fdatasynced), so a torn write never leaves neither valid. */
  persist(): Promise<void> {
    const data = this.encode();
    const write = async (path: string): Promise<void> => {
      const fh = await fs.promises.open(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      try {
        await fh.write(data, 0, data.length, 0);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    };
    const run = async (): Promise<void> => {
      await write(this.backupPath);
      await write(this.path);
    };
    // Serialized so an older snapshot never lands after a newer one.
    const next = (this.writing ?? Promise.resolve()).catch(() => undefined).then(run);
    this.writing = next;
    return next.finally(() => {
      if (this.writing === next) this.writing = null;
    });
  }

  async settle(): Promise<void> {
    await this.writing?.catch(() => undefined);
  }

  persistNow(): void {
    const data = this.encode();
    for (const path of [this.backupPath, this.path]) {
      const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
      try {
        fs.writeSync(fd, data, 0, data.length, 0);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
}

function readValidPage(path: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch {
    return undefined;
  }
  if (buf.length !== FILE_SIZE || rocketmqCrc32(buf, 0, CRC_POSITION) !== buf.readInt32BE(CRC_POSITION)) return undefined;
  return buf;
}
