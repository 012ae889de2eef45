import { crc32 } from 'node:zlib';

/**
 * CRC32 with the sign bit cleared, as RocketMQ's UtilAll.crc32 returns it: the value
 * is carried in a Java int, so the top bit is masked off. Used for BODYCRC and
 * REGISTER_BROKER's bodyCrc32.
 */
export function rocketmqCrc32(data: Uint8Array, start = 0, end = data.length): number {
  const view = start === 0 && end === data.length ? data : data.subarray(start, end);
  return crc32(view) & 0x7fffffff;
}
