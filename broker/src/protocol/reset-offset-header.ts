import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, optionalInt, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/**
 * INVOKE_BROKER_TO_RESET_OFFSET (tool -> broker) and RESET_CONSUMER_CLIENT_OFFSET (broker -> the group's clients,
 * with the new offsets in the body).
 */
export interface ResetOffsetHeader {
  topic: string;
  group: string;
  /** Milliseconds since the epoch; -1 means the end of each queue. */
  timestamp: number;
  /** `isForce` on the wire; without it an offset only moves back. Absent means true. */
  force: boolean;
  /** Only this queue; absent (or -1) means every queue. */
  queueId?: number | undefined;
  /** With a queueId: reset that queue to this queue offset instead of by time. Absent or -1 means by time. */
  offset?: number | undefined;
}

export function encodeResetOffsetHeader(h: ResetOffsetHeader): HeaderInput {
  return { topic: h.topic, group: h.group, timestamp: h.timestamp, isForce: h.force, queueId: h.queueId, offset: h.offset };
}

export function decodeResetOffsetHeader(ext: ExtFields): ResetOffsetHeader {
  return {
    topic: requiredString(ext, 'topic'),
    group: requiredString(ext, 'group'),
    timestamp: requiredInt(ext, 'timestamp'),
    force: optionalBool(ext, 'isForce') ?? true,
    queueId: optionalInt(ext, 'queueId'),
    offset: optionalInt(ext, 'offset'),
  };
}
