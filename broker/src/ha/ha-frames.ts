/**
 * The classic HA wire (RocketMQ's haListenPort protocol, not remoting):
 *   slave -> master: 8 bytes, the slave's max CommitLog offset (after each applied batch and every 5 s);
 *   master -> slave: [phyOffset int64][bodySize int32][body] with raw CommitLog bytes; size 0 = heartbeat.
 */
export const REPORT_SIZE = 8;
export const TRANSFER_HEADER_SIZE = 12;

export function encodeReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(REPORT_SIZE);
  b.writeUInt32BE(Math.floor(offset / 4294967296), 0);
  b.writeUInt32BE(offset >>> 0, 4);
  return b;
}

export function encodeTransferHeader(offset: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(TRANSFER_HEADER_SIZE);
  b.writeUInt32BE(Math.floor(offset / 4294967296), 0);
  b.writeUInt32BE(offset >>> 0, 4);
  b.writeInt32BE(size, 8);
  return b;
}

function readOffset(b: Buffer, pos: number): number {
  return b.readUInt32BE(pos) * 4294967296 + b.readUInt32BE(pos + 4);
}

/** Accumulates a byte stream and hands out whole units (reports, or transfer frames). */
export class HaStreamReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Next complete slave report, if any. */
  nextReport(): number | undefined {
    if (this.buf.length < REPORT_SIZE) return undefined;
    const offset = readOffset(this.buf, 0);
    this.buf = this.buf.subarray(REPORT_SIZE);
    return offset;
  }

  /** Next complete master frame, if any; throws on a size no master would send. */
  nextFrame(maxBody: number): { offset: number; body: Buffer } | undefined {
    if (this.buf.length < TRANSFER_HEADER_SIZE) return undefined;
    const size = this.buf.readInt32BE(8);
    if (size < 0 || size > maxBody) throw new Error(`HA frame body size ${size} is outside [0, ${maxBody}]`);
    if (this.buf.length < TRANSFER_HEADER_SIZE + size) return undefined;
    const offset = readOffset(this.buf, 0);
    const body = this.buf.subarray(TRANSFER_HEADER_SIZE, TRANSFER_HEADER_SIZE + size);
    this.buf = this.buf.subarray(TRANSFER_HEADER_SIZE + size);
    return { offset, body };
  }
}
