import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

export type BoundaryType = 'lower' | 'upper';

/**
 * SEARCH_OFFSET_BY_TIMESTAMP: with boundary `lower` (the default) the first queue offset stored at or after a time,
 * with `upper` the last one stored at or before it.
 */
export interface SearchOffsetHeader {
  topic: string;
  queueId: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
  /** `boundaryType` on the wire (Java sends the enum name, LOWER / UPPER); anything but upper means lower, as in RocketMQ. */
  boundary?: BoundaryType | undefined;
}

export function encodeSearchOffsetHeader(h: SearchOffsetHeader): HeaderInput {
  return { topic: h.topic, queueId: h.queueId, timestamp: h.timestamp, bname: h.brokerName, boundaryType: h.boundary?.toUpperCase() };
}

export function decodeSearchOffsetHeader(ext: ExtFields): SearchOffsetHeader {
  return {
    topic: requiredString(ext, 'topic'),
    queueId: requiredInt(ext, 'queueId'),
    timestamp: requiredInt(ext, 'timestamp'),
    brokerName: optionalString(ext, 'bname'),
    boundary: optionalString(ext, 'boundaryType')?.toLowerCase() === 'upper' ? 'upper' : 'lower',
  };
}
