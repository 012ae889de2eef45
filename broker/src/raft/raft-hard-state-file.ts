import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { HardState } from './raft-messages.ts';

/**
 * The Raft hard state (term, vote, commit) in one small file, replaced atomically: write a temp file,
 * fsync it, rename it over the old one, fsync the folder. A file that is present but torn or corrupt
 * stops the node: starting with a zero state would let it vote twice in a term.
 * Layout (40 bytes): "TRHS", version 1, 3 zero bytes, term u64, vote u32, 4 zero bytes, commit u64,
 * 4 zero bytes, CRC32 of the 36 bytes before it.
 */
const MAGIC = 0x54524853;
const VERSION = 1;
const SIZE = 40;

export class HardStateCorrupt extends Error {}

export function encodeHardState(hs: HardState): Buffer {
  const b = Buffer.alloc(SIZE);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt8(VERSION, 4);
  b.writeBigUInt64BE(BigInt(hs.term), 8);
  b.writeUInt32BE(hs.vote, 16);
  b.writeBigUInt64BE(BigInt(hs.commit), 24);
  b.writeUInt32BE(crc32(b.subarray(0, 36)), 36);
  return b;
}

function decode(file: string, b: Buffer): HardState {
  const bad = (why: string): never => {
    throw new HardStateCorrupt(`raft hard state ${file} is unreadable (${why}); refusing to start, since the node could vote twice in a term. ` +
      'Restore the file, or remove this node\'s raft data and let it rejoin empty.');
  };
  if (b.length !== SIZE) bad(`${b.length} bytes, expected ${SIZE}`);
  if (b.readUInt32BE(0) !== MAGIC) bad('wrong magic');
  if (b.readUInt32BE(36) !== crc32(b.subarray(0, 36))) bad('CRC mismatch');
  if (b.readUInt8(4) !== VERSION) bad(`version ${b.readUInt8(4)}`);
  const u64 = (at: number): number => {
    const v = b.readBigUInt64BE(at);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? bad(`value ${v} out of range`) : Number(v);
  };
  return { term: u64(8), vote: b.readUInt32BE(16), commit: u64(24) };
}

/** The stored state; a node that never wrote one starts at term 0 with no vote. */
export function readHardState(file: string): HardState {
  let b: Buffer;
  try {
    b = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { term: 0, vote: 0, commit: 0 };
    throw err;
  }
  return decode(file, b);
}

export async function writeHardState(file: string, hs: HardState): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(encodeHardState(hs));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
