import type { HeaderInput } from '../remoting/index.ts';
import { numberOr, type ExtFields } from './header-fields.ts';

/** The answer of QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET, GET_MIN_OFFSET and SEARCH_OFFSET_BY_TIMESTAMP: one offset. */
export interface OffsetResponseHeader {
  offset: number;
}

export function encodeOffsetResponseHeader(h: OffsetResponseHeader): HeaderInput {
  return { offset: h.offset };
}

/** Lenient, as a client reads it: a missing or unreadable offset is the caller's fallback. */
export function decodeOffsetResponseHeader(ext: ExtFields, fallback: number): OffsetResponseHeader {
  return { offset: numberOr(ext, 'offset', fallback) };
}
