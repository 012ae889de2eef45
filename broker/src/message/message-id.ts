import { randomInt } from 'node:crypto';
import { formatIp, ipBytes, localIPv4 } from './host-address.ts';
import type { HostAddress } from './host-address.ts';

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).toUpperCase().padStart(2, '0'));

function hexOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

function hex32(v: number): string {
  return HEX[(v >>> 24) & 0xff]! + HEX[(v >>> 16) & 0xff]! + HEX[(v >>> 8) & 0xff]! + HEX[v & 0xff]!;
}

// The store mints one id per put, almost always for the same store host.
let lastHostKey = '';
let lastHostPrefix = '';

/**
 * offsetMsgId: upper-case hex of storeHost ip (4|16 bytes) + port (int32) + commitLogOffset
 * (int64); 32 chars for IPv4, 56 for IPv6. Clients decode it to find the broker and offset.
 */
export function createOffsetMsgId(storeHost: HostAddress, commitLogOffset: number): string {
  const key = storeHost.address + ':' + storeHost.port;
  if (key !== lastHostKey) {
    lastHostPrefix = hexOf(ipBytes(storeHost.address)) + hex32(storeHost.port);
    lastHostKey = key;
  }
  return lastHostPrefix + hex32(Math.floor(commitLogOffset / 4294967296)) + hex32(commitLogOffset >>> 0);
}

export interface DecodedOffsetMsgId {
  address: string;
  port: number;
  offset: number;
}

/** Inverse of createOffsetMsgId; throws on anything that is not 32 or 56 hex chars. */
export function decodeOffsetMsgId(msgId: string): DecodedOffsetMsgId {
  if ((msgId.length !== 32 && msgId.length !== 56) || !/^[0-9A-Fa-f]+$/.test(msgId)) {
    throw new Error(`not an offset message id: ${msgId}`);
  }
  const bytes = Buffer.from(msgId, 'hex');
  const ipLen = bytes.length === 16 ? 4 : 16;
  return {
    address: formatIp(bytes, 0, ipLen),
    port: bytes.readInt32BE(ipLen),
    offset: bytes.readInt32BE(ipLen + 4) * 4294967296 + bytes.readUInt32BE(ipLen + 8),
  };
}

function firstNonInternalIPv4(): Buffer {
  return ipBytes(localIPv4());
}

/**
 * Client-side UNIQ_KEY generator: ip(4|16) + pid low 16 bits + a random int32 (Java uses its
 * class loader's hash) + ms since the start of the current month (int32) + a 16-bit counter,
 * as upper-case hex. The fixed part is precomputed; only time and counter change per id.
 */
export class UniqueIdGenerator {
  private readonly prefix: string;
  private counter: number;
  private monthStart = 0;
  private nextMonthStart = 0;

  constructor(ip: Uint8Array = firstNonInternalIPv4(), pid: number = process.pid, salt: number = randomInt(0x7fffffff)) {
    if (ip.length !== 4 && ip.length !== 16) throw new Error('ip must be 4 or 16 bytes');
    const fixed = Buffer.alloc(ip.length + 6);
    fixed.set(ip, 0);
    fixed.writeUInt16BE(pid & 0xffff, ip.length);
    fixed.writeInt32BE(salt | 0, ip.length + 2);
    this.prefix = hexOf(fixed);
    this.counter = randomInt(0x10000);
  }

  next(now: number = Date.now()): string {
    if (now >= this.nextMonthStart || now < this.monthStart) this.setMonth(now);
    const c = this.counter;
    this.counter = (c + 1) & 0xffff;
    return this.prefix + hex32(now - this.monthStart) + HEX[c >>> 8]! + HEX[c & 0xff]!;
  }

  private setMonth(now: number): void {
    const d = new Date(now);
    this.monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    this.nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
  }
}

let defaultGenerator: UniqueIdGenerator | undefined;

/** A UNIQ_KEY from a process-wide generator. */
export function createUniqId(): string {
  defaultGenerator ??= new UniqueIdGenerator();
  return defaultGenerator.next();
}
