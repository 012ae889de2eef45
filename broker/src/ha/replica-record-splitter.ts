import { BLANK_MAGIC_CODE, MESSAGE_MAGIC_CODE_V1, MESSAGE_MAGIC_CODE_V2 } from '../message/stored-message.ts';

/**
 * The master streams CommitLog bytes in chunks that need not end on a record boundary. A slave appends only
 * whole records (so what it acknowledges it really holds, and its dispatcher always sees complete records)
 * and carries the cut record over to the next chunk. A blank record ends its segment: the zeros after it
 * belong to the log too and are passed through as they arrive.
 */
export class ReplicaRecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Absolute offset up to which bytes are the tail of a segment closed by a blank record. */
  private blankTailUntil = -1;
  private readonly segmentSize: number;

  constructor(segmentSize: number) {
    this.segmentSize = segmentSize;
  }

  /** Bytes received but not yet appended (the start of a cut record). */
  get pendingBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.blankTailUntil = -1;
  }

  /**
   * Takes the chunk that follows everything received so far; `base` is the log offset of the first pending byte
   * (the slave's log end). Returns the complete prefix to append at `base`; throws on bytes that are no records.
   */
  push(base: number, chunk: Buffer): Buffer {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      const abs = base + pos;
      if (abs < this.blankTailUntil) {
        pos = Math.min(data.length, this.blankTailUntil - base);
        continue;
      }
      if (data.length - pos < 8) break;
      const size = data.readInt32BE(pos);
      const magic = data.readInt32BE(pos + 4);
      const segmentEnd = (Math.floor(abs / this.segmentSize) + 1) * this.segmentSize;
      if (magic === BLANK_MAGIC_CODE) {
        this.blankTailUntil = segmentEnd;
        continue;
      }
      if (magic !== MESSAGE_MAGIC_CODE_V1 && magic !== MESSAGE_MAGIC_CODE_V2) {
        throw new Error(`replicated bytes at ${abs} are not a record (magic ${magic})`);
      }
      if (size <= 0 || abs + size > segmentEnd) throw new Error(`replicated record at ${abs} has an impossible size ${size}`);
      if (pos + size > data.length) break;
      pos += size;
    }
    // Keep the cut record's bytes on their own: the big chunk buffer can then be released.
    this.pending = Buffer.from(data.subarray(pos));
    return data.subarray(0, pos);
  }
}
