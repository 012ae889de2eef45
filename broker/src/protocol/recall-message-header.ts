import type { HeaderInput } from '../remoting/index.ts';
import { optionalString, requiredString, type ExtFields } from './header-fields.ts';

/** RECALL_MESSAGE (RocketMQ 5.3+): cancel a timer message not yet delivered, named by the handle its send returned. */
export interface RecallMessageHeader {
  producerGroup?: string | undefined;
  topic: string;
  recallHandle: string;
  /** The broker name the request is routed to (Java's RpcRequestHeader field). */
  bname?: string | undefined;
}

export function encodeRecallMessageHeader(h: RecallMessageHeader): HeaderInput {
  return { producerGroup: h.producerGroup, topic: h.topic, recallHandle: h.recallHandle, bname: h.bname };
}

export function decodeRecallMessageHeader(ext: ExtFields): RecallMessageHeader {
  return {
    producerGroup: optionalString(ext, 'producerGroup'),
    topic: requiredString(ext, 'topic'),
    recallHandle: requiredString(ext, 'recallHandle'),
    bname: optionalString(ext, 'bname'),
  };
}

/** What a recall handle names: the message's topic and broker, its delivery time and its UNIQ_KEY. */
export interface RecallHandle {
  topic: string;
  brokerName: string;
  /** The delivery time (epoch ms), as text: RocketMQ compares it with its clock. */
  timestamp: string;
  /** The message's UNIQ_KEY. */
  messageId: string;
}

/** RocketMQ's v1 handle: "v1 topic brokerName timestamp messageId", URL-safe base64 with padding. */
export function encodeRecallHandle(h: RecallHandle): string {
  // Java's Base64.getUrlEncoder() pads; Node's base64url does not.
  const raw = Buffer.from(['v1', h.topic, h.brokerName, h.timestamp, h.messageId].join(' '), 'utf8');
  return raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The handle's fields, or an Error saying why it is not a v1 handle. */
export function decodeRecallHandle(text: string): RecallHandle | Error {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text)) return new Error('recall handle is invalid');
  const parts = Buffer.from(text, 'base64url').toString('utf8').split(' ');
  if (parts.length !== 5 || parts[0] !== 'v1') return new Error('recall handle is invalid');
  return { topic: parts[1]!, brokerName: parts[2]!, timestamp: parts[3]!, messageId: parts[4]! };
}
