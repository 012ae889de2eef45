import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** SEARCH_OFFSET_BY_TIMESTAMP: the queue offset of the first message stored at or after a time. */
export interface SearchOffsetHeader {
  topic: string;
  queueId: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

export function encodeSearchOffsetHeader(h: SearchOffsetHeader): HeaderInput {
  return { topic: h.topic, queueId: h.queueId, timestamp: h.timestamp, bname: h.brokerName };
}

export function decodeSearchOffsetHeader(ext: ExtFields): SearchOffsetHeader {
  return {
    topic: requiredString(ext, 'topic'),
    queueId: requiredInt(ext, 'queueId'),
    timestamp: requiredInt(ext, 'timestamp'),
    brokerName: optionalString(ext, 'bname'),
  };
}
