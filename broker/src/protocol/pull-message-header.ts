import type { HeaderInput } from '../remoting/index.ts';
import { optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

/** PULL_MESSAGE's request header. Java clients also send maxMsgBytes, which Tern's broker does not apply and so does not read. */
export interface PullMessageHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  /** -1 when the request carries none. */
  commitOffset: number;
  suspendTimeoutMillis: number;
  /** Read by the broker only when sysFlag has the SUBSCRIPTION bit. */
  subscription?: string | undefined;
  subVersion: number;
  expressionType?: string | undefined;
  /** `bname` on the wire. */
  brokerName?: string | undefined;
}

export function encodePullMessageHeader(h: PullMessageHeader): HeaderInput {
  return {
    consumerGroup: h.consumerGroup, topic: h.topic, queueId: h.queueId, queueOffset: h.queueOffset,
    maxMsgNums: h.maxMsgNums, sysFlag: h.sysFlag, commitOffset: h.commitOffset,
    suspendTimeoutMillis: h.suspendTimeoutMillis, subscription: h.subscription, subVersion: h.subVersion,
    expressionType: h.expressionType, bname: h.brokerName,
  };
}

export function decodePullMessageHeader(ext: ExtFields): PullMessageHeader {
  return {
    consumerGroup: requiredString(ext, 'consumerGroup'),
    topic: requiredString(ext, 'topic'),
    queueId: requiredInt(ext, 'queueId'),
    queueOffset: requiredInt(ext, 'queueOffset'),
    maxMsgNums: optionalInt(ext, 'maxMsgNums') ?? 32,
    sysFlag: optionalInt(ext, 'sysFlag') ?? 0,
    commitOffset: optionalInt(ext, 'commitOffset') ?? -1,
    suspendTimeoutMillis: optionalInt(ext, 'suspendTimeoutMillis') ?? 15_000,
    subscription: optionalString(ext, 'subscription'),
    subVersion: optionalInt(ext, 'subVersion') ?? 0,
    expressionType: optionalString(ext, 'expressionType'),
    brokerName: optionalString(ext, 'bname'),
  };
}
