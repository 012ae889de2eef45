/**
 * Big-endian int64 read/write on plain JS numbers (exact up to 2^53), avoiding BigInt on
 * the hot path: the value is split into a signed high word and an unsigned low word.
 */
const TWO_32 = 4294967296;

export function writeInt64BE(buf: Buffer, value: number, pos: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi | 0, pos);
  buf.writeUInt32BE(value >>> 0, pos + 4);
}

export function readInt64BE(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}
