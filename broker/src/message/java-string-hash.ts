/**
 * Java's String.hashCode: h = 31*h + c over UTF-16 code units, wrapping at 32 bits.
 * JS strings are UTF-16 too, so charCodeAt yields exactly the units Java hashes.
 * Used for ConsumeQueue tagsCode and IndexFile keys, so it must match Java bit for bit.
 */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  }
  return h;
}
