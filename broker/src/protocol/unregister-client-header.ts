import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredString, type ExtFields } from './header-fields.ts';

/** UNREGISTER_CLIENT: a client leaving its producer and/or consumer group. */
export interface UnregisterClientHeader {
  /** `clientID` on the wire. */
  clientId: string;
  producerGroup?: string | undefined;
  consumerGroup?: string | undefined;
}

export function encodeUnregisterClientHeader(h: UnregisterClientHeader): HeaderInput {
  return { clientID: h.clientId, producerGroup: h.producerGroup, consumerGroup: h.consumerGroup };
}

export function decodeUnregisterClientHeader(ext: ExtFields): UnregisterClientHeader {
  return {
    clientId: requiredString(ext, 'clientID'),
    producerGroup: optionalString(ext, 'producerGroup'),
    consumerGroup: optionalString(ext, 'consumerGroup'),
  };
}
