import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** The extFields flag of a QUERY_MESSAGE looking up a UNIQ_KEY (client message id) rather than a KEYS token. */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/** Java's Long.MAX_VALUE, as clients send "no upper bound"; decoded as the largest safe integer. */
const JAVA_LONG_MAX = '9223372036854775807';

/** QUERY_MESSAGE: messages of a topic by key (or unique key) stored within a time range. */
export interface QueryMessageHeader {
  topic: string;
  key: string;
  maxNum: number;
  beginTimestamp: number;
  /** Number.MAX_SAFE_INTEGER stands for "no upper bound". */
  endTimestamp: number;
  uniqueKeyQuery: boolean;
}

export function encodeQueryMessageHeader(h: QueryMessageHeader): HeaderInput {
  return {
    topic: h.topic, key: h.key, maxNum: h.maxNum, beginTimestamp: h.beginTimestamp,
    endTimestamp: h.endTimestamp >= Number.MAX_SAFE_INTEGER ? JAVA_LONG_MAX : h.endTimestamp,
    ...(h.uniqueKeyQuery ? { [UNIQUE_MSG_QUERY_FLAG]: 'true' } : {}),
  };
}

export function decodeQueryMessageHeader(ext: ExtFields): QueryMessageHeader {
  return {
    topic: requiredString(ext, 'topic'),
    key: requiredString(ext, 'key'),
    maxNum: requiredInt(ext, 'maxNum'),
    beginTimestamp: requiredInt(ext, 'beginTimestamp'),
    endTimestamp: Math.min(requiredInt(ext, 'endTimestamp'), Number.MAX_SAFE_INTEGER),
    uniqueKeyQuery: optionalString(ext, UNIQUE_MSG_QUERY_FLAG) === 'true',
  };
}
