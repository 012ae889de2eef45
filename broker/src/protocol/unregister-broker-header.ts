import type { HeaderInput } from '../remoting/index.ts';
import { requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** UNREGISTER_BROKER (broker -> name server, at shutdown). */
export interface UnregisterBrokerHeader {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  brokerId: number;
}

export function encodeUnregisterBrokerHeader(h: UnregisterBrokerHeader): HeaderInput {
  return { brokerAddr: h.brokerAddr, brokerId: h.brokerId, brokerName: h.brokerName, clusterName: h.clusterName };
}

export function decodeUnregisterBrokerHeader(ext: ExtFields): UnregisterBrokerHeader {
  return {
    clusterName: requiredString(ext, 'clusterName'),
    brokerName: requiredString(ext, 'brokerName'),
    brokerAddr: requiredString(ext, 'brokerAddr'),
    brokerId: requiredInt(ext, 'brokerId'),
  };
}
