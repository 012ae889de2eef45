import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** WIPE_WRITE_PERM_OF_BROKER: take write permission from a broker's topics in the routes (before it is stopped). */
export interface WipeWritePermHeader {
  brokerName: string;
}

export function encodeWipeWritePermHeader(h: WipeWritePermHeader): HeaderInput {
  return { brokerName: h.brokerName };
}

export function decodeWipeWritePermHeader(ext: ExtFields): WipeWritePermHeader {
  return { brokerName: requiredString(ext, 'brokerName') };
}
