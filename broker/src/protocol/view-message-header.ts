import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, type ExtFields } from './header-fields.ts';

/** VIEW_MESSAGE_BY_ID: one message by its CommitLog offset (decoded from an offset message id). */
export interface ViewMessageHeader {
  offset: number;
  /** When given, a message of another topic at that offset is not served. */
  topic?: string | undefined;
}

export function encodeViewMessageHeader(h: ViewMessageHeader): HeaderInput {
  return { offset: h.offset, topic: h.topic };
}

export function decodeViewMessageHeader(ext: ExtFields): ViewMessageHeader {
  return { offset: requiredInt(ext, 'offset'), topic: optionalString(ext, 'topic') };
}
