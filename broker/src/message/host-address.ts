import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** A socket address as records and message ids carry it: IPv4 or IPv6 text plus port. */
export interface HostAddress {
  address: string;
  port: number;
}

// Hosts repeat endlessly (one store host, a few thousand client sockets), so parsed bytes
// are cached; the cache is simply dropped when it grows past a bound.
const ipCache = new Map<string, Buffer>();
const IP_CACHE_LIMIT = 8192;

/**
 * The 4 or 16 address bytes. IPv4-mapped IPv6 (`::ffff:a.b.c.d`, what node reports on
 * dual-stack sockets) becomes 4 bytes, as Java's InetAddress does. The result is shared:
 * do not modify it.
 */
export function ipBytes(address: string): Buffer {
  let bytes = ipCache.get(address);
  if (bytes !== undefined) return bytes;
  bytes = parseIp(address);
  if (ipCache.size >= IP_CACHE_LIMIT) ipCache.clear();
  ipCache.set(address, bytes);
  return bytes;
}

export function isIPv6Host(address: string): boolean {
  return ipBytes(address).length === 16;
}

function parseIp(address: string): Buffer {
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.substring(0, zone);
  if (text.startsWith('[') && text.endsWith(']')) text = text.substring(1, text.length - 1);
  if (isIPv4(text)) return parseIPv4(text);
  if (!isIPv6(text)) throw new Error(`not an IP address: ${address}`);
  const v6 = parseIPv6(text);
  if (isV4Mapped(v6)) return Buffer.from(v6.subarray(12));
  return v6;
}

function parseIPv4(text: string): Buffer {
  const out = Buffer.alloc(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  return out;
}

function parseIPv6(text: string): Buffer {
  const out = Buffer.alloc(16);
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    head = text.substring(0, dbl);
    tail = text.substring(dbl + 2);
  }
  const headGroups = head.length > 0 ? head.split(':') : [];
  const tailGroups = tail.length > 0 ? tail.split(':') : [];
  const words: number[] = [];
  const toWords = (groups: string[]): number[] => {
    const ws: number[] = [];
    for (const g of groups) {
      if (g.includes('.')) {
        const v4 = parseIPv4(g);
        ws.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        ws.push(parseInt(g, 16));
      }
    }
    return ws;
  };
  const hw = toWords(headGroups);
  const tw = toWords(tailGroups);
  words.push(...hw);
  for (let i = hw.length + tw.length; i < 8; i++) words.push(0);
  words.push(...tw);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, i * 2);
  return out;
}

function isV4Mapped(b: Buffer): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Text form of 4 or 16 address bytes (IPv6 in RFC 5952 compressed form). */
export function formatIp(buf: Uint8Array, pos: number, length: number): string {
  if (length === 4) return `${buf[pos]}.${buf[pos + 1]}.${buf[pos + 2]}.${buf[pos + 3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((buf[pos + i * 2]! << 8) | buf[pos + i * 2 + 1]!);
  // Longest run of two or more zero words becomes '::'.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return words.map((w) => w.toString(16)).join(':');
  const left = words.slice(0, bestStart).map((w) => w.toString(16)).join(':');
  const right = words.slice(bestStart + bestLen).map((w) => w.toString(16)).join(':');
  return `${left}::${right}`;
}

/** This host's first non-internal IPv4 address (what RocketMQ uses for brokerIP1 and client ids); loopback if none. */
export function localIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const ni of list ?? []) if (ni.family === 'IPv4' && !ni.internal) return ni.address;
  }
  return '127.0.0.1';
}
