import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/** GET_PRODUCER_CONNECTION_LIST: the producers of one group. */
export interface ProducerGroupHeader {
  producerGroup: string;
}

export function encodeProducerGroupHeader(h: ProducerGroupHeader): HeaderInput {
  return { producerGroup: h.producerGroup };
}

export function decodeProducerGroupHeader(ext: ExtFields): ProducerGroupHeader {
  return { producerGroup: requiredString(ext, 'producerGroup') };
}
