import type { HeaderInput } from '../remoting/index.ts';
import { numberOr, optionalInt, optionalString, requiredInt, requiredString, type ExtFields } from './header-fields.ts';

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

/** PULL_MESSAGE's response header: where to pull next, the queue's bounds, and which broker to pull from. */
export interface PullMessageResponseHeader {
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** 0 is the master; a slave's id when the master suggests reading from it. */
  suggestWhichBrokerId: number;
  topicSysFlag: number;
  groupSysFlag: number;
}

export function encodePullMessageResponseHeader(h: PullMessageResponseHeader): HeaderInput {
  return {
    nextBeginOffset: h.nextBeginOffset, minOffset: h.minOffset, maxOffset: h.maxOffset,
    suggestWhichBrokerId: h.suggestWhichBrokerId, topicSysFlag: h.topicSysFlag, groupSysFlag: h.groupSysFlag,
  };
}

/** Lenient, as a client reads it: a missing next offset keeps the one pulled from, anything else missing is 0. */
export function decodePullMessageResponseHeader(ext: ExtFields, pulledOffset: number): PullMessageResponseHeader {
  return {
    nextBeginOffset: numberOr(ext, 'nextBeginOffset', pulledOffset),
    minOffset: numberOr(ext, 'minOffset', 0),
    maxOffset: numberOr(ext, 'maxOffset', 0),
    suggestWhichBrokerId: numberOr(ext, 'suggestWhichBrokerId', 0),
    topicSysFlag: numberOr(ext, 'topicSysFlag', 0),
    groupSysFlag: numberOr(ext, 'groupSysFlag', 0),
  };
}
