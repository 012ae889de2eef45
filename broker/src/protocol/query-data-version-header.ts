import type { HeaderInput } from '../remoting/index.ts';
import { requiredString, type ExtFields } from './header-fields.ts';

/**
 * QUERY_DATA_VERSION: a broker asking whether its registration is current (its DataVersion in the body). RocketMQ
 * brokers also send their name, id and cluster, which Tern's name server does not read.
 */
export interface QueryDataVersionHeader {
  brokerAddr: string;
}

export function encodeQueryDataVersionHeader(h: QueryDataVersionHeader): HeaderInput {
  return { brokerAddr: h.brokerAddr };
}

export function decodeQueryDataVersionHeader(ext: ExtFields): QueryDataVersionHeader {
  return { brokerAddr: requiredString(ext, 'brokerAddr') };
}
