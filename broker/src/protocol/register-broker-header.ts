import type { HeaderInput } from '../remoting/index.ts';
import { optionalBool, optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** REGISTER_BROKER (broker -> name server); the body carries the broker's topic configs. */
export interface RegisterBrokerHeader {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  brokerId: number;
  /** '' when absent. */
  haServerAddr: string;
  heartbeatTimeoutMillis?: number | undefined;
  /** The body is zlib-compressed. */
  compressed: boolean;
}

/**
 * What a broker sends besides the decoded fields: the body's CRC32 and enableActingMaster (always false), which
 * RocketMQ's name server expects and Tern's does not read.
 */
export interface RegisterBrokerRequest extends RegisterBrokerHeader {
  bodyCrc32: number;
}

export function encodeRegisterBrokerHeader(h: RegisterBrokerRequest): HeaderInput {
  return {
    brokerAddr: h.brokerAddr, brokerId: h.brokerId, brokerName: h.brokerName, clusterName: h.clusterName,
    haServerAddr: h.haServerAddr, heartbeatTimeoutMillis: h.heartbeatTimeoutMillis, compressed: h.compressed,
    bodyCrc32: h.bodyCrc32, enableActingMaster: false,
  };
}

export function decodeRegisterBrokerHeader(ext: ExtFields): RegisterBrokerHeader {
  return {
    clusterName: requiredString(ext, 'clusterName'),
    brokerName: requiredString(ext, 'brokerName'),
    brokerAddr: requiredString(ext, 'brokerAddr'),
    brokerId: requiredInt(ext, 'brokerId'),
    haServerAddr: optionalString(ext, 'haServerAddr') ?? '',
    heartbeatTimeoutMillis: optionalInt(ext, 'heartbeatTimeoutMillis'),
    compressed: optionalBool(ext, 'compressed') ?? false,
  };
}
