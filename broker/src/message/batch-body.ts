/**
 * SEND_BATCH_MESSAGE body: items of TOTALSIZE, MAGIC (0), BODYCRC (0), FLAG, BODYLEN+BODY,
 * PROPLEN(int16)+PROPERTIES. The broker stores each item as its own record.
 */
import { MAX_PROPERTIES_BYTES } from './properties.ts';

export interface BatchItem {
  flag: number;
  body: Uint8Array;
  /** Encoded properties string of this item. */
  properties: string;
}

const ITEM_FIXED_BYTES = 4 + 4 + 4 + 4 + 4 + 2;

export function encodeBatchBody(items: readonly BatchItem[]): Buffer {
  const propLengths = items.map((it) => Buffer.byteLength(it.properties, 'utf8'));
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    if (propLengths[i]! > MAX_PROPERTIES_BYTES) throw new Error(`batch item ${i}: properties exceed ${MAX_PROPERTIES_BYTES} bytes`);
    total += ITEM_FIXED_BYTES + items[i]!.body.length + propLengths[i]!;
  }
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const propLen = propLengths[i]!;
    buf.writeInt32BE(ITEM_FIXED_BYTES + it.body.length + propLen, p);
    buf.writeInt32BE(0, p + 4);
    buf.writeInt32BE(0, p + 8);
    buf.writeInt32BE(it.flag | 0, p + 12);
    buf.writeInt32BE(it.body.length, p + 16);
    p += 20;
    buf.set(it.body, p);
    p += it.body.length;
    buf.writeInt16BE(propLen, p);
    p += 2;
    p += buf.write(it.properties, p, propLen, 'utf8');
  }
  return buf;
}

/** Decodes a batch body; bodies are views into `buf`. Throws on a malformed body. */
export function decodeBatchBody(buf: Buffer): BatchItem[] {
  const items: BatchItem[] = [];
  let p = 0;
  while (p < buf.length) {
    if (p + ITEM_FIXED_BYTES > buf.length) throw new Error(`batch body: truncated item at ${p}`);
    const totalSize = buf.readInt32BE(p);
    const flag = buf.readInt32BE(p + 12);
    const bodyLen = buf.readInt32BE(p + 16);
    const end = p + totalSize;
    if (totalSize < ITEM_FIXED_BYTES || end > buf.length || bodyLen < 0 || p + 20 + bodyLen + 2 > end) {
      throw new Error(`batch body: bad item sizes at ${p}`);
    }
    const body = buf.subarray(p + 20, p + 20 + bodyLen);
    const propPos = p + 20 + bodyLen;
    const propLen = buf.readInt16BE(propPos);
    if (propLen < 0 || propPos + 2 + propLen !== end) throw new Error(`batch body: bad properties length at ${p}`);
    items.push({ flag, body, properties: buf.toString('utf8', propPos + 2, end) });
    p = end;
  }
  return items;
}
