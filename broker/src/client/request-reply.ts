/**
 * Request-reply (RocketMQ 4.6+): a request is an ordinary message carrying CORRELATION_ID, REPLY_TO_CLIENT (the
 * requester's client id) and TTL; the responder sends the reply to `<cluster>_REPLY_TOPIC` with SEND_REPLY_MESSAGE_V2
 * and the broker pushes it to the requester (PUSH_REPLY_MESSAGE_TO_CLIENT), which matches it by correlation id.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from '../message/message.ts';
import { messageFromProperties } from '../message/message.ts';
import { MessageConst } from '../message/properties.ts';
import { MessageSysFlag } from '../message/sys-flag.ts';
import { decodeReplyMessageHeader } from '../protocol/index.ts';
import type { RemotingCommand } from '../remoting/index.ts';
import { ClientError } from './client-error.ts';
import { decompressBody, type ReceivedMessage } from './received-message.ts';

/** MSG_TYPE of a reply; a producer sends such a message with SEND_REPLY_MESSAGE_V2. */
export const REPLY_MESSAGE_TYPE = 'reply';

/** A reply as the requester receives it. */
export interface ReplyMessage extends Message {
  properties: Map<string, string>;
  correlationId: string;
  bornTimestamp: number;
  storeTimestamp: number;
  /** `ip:port` of the responder's connection, as the broker saw it. */
  bornHost: string;
  storeHost: string;
}

/** What a responder puts in a reply. */
export interface ReplyContent {
  body: Buffer | string;
  tags?: string;
  keys?: string[];
  properties?: Map<string, string>;
}

/** The request properties to add to a message sent by `clientId`, waiting `timeoutMs` for the reply. */
export function requestProperties(clientId: string, timeoutMs: number): { correlationId: string; properties: Record<string, string> } {
  const correlationId = randomUUID();
  return {
    correlationId,
    properties: {
      [MessageConst.CORRELATION_ID]: correlationId,
      [MessageConst.REPLY_TO_CLIENT]: clientId,
      [MessageConst.TTL]: String(timeoutMs),
    },
  };
}

/** The reply to `request`, addressed to its requester through the reply topic of the request's cluster. */
export function createReplyMessage(request: ReceivedMessage, content: ReplyContent): Message {
  const p = request.properties;
  const cluster = p.get(MessageConst.CLUSTER);
  const correlationId = p.get(MessageConst.CORRELATION_ID);
  const replyTo = p.get(MessageConst.REPLY_TO_CLIENT);
  if (!correlationId || !replyTo) throw new ClientError(`message ${request.msgId} is not a request (no CORRELATION_ID / REPLY_TO_CLIENT)`);
  if (!cluster) throw new ClientError(`request ${request.msgId} carries no CLUSTER property: the broker that stored it did not name its cluster`);
  const properties = new Map(content.properties ?? []);
  properties.set(MessageConst.MSG_TYPE, REPLY_MESSAGE_TYPE);
  properties.set(MessageConst.CORRELATION_ID, correlationId);
  properties.set(MessageConst.REPLY_TO_CLIENT, replyTo);
  const ttl = p.get(MessageConst.TTL);
  if (ttl !== undefined) properties.set(MessageConst.TTL, ttl);
  const reply: Message = {
    topic: `${cluster}_REPLY_TOPIC`,
    body: typeof content.body === 'string' ? Buffer.from(content.body, 'utf8') : content.body,
    properties,
  };
  if (content.tags !== undefined) reply.tags = content.tags;
  if (content.keys !== undefined) reply.keys = content.keys;
  return reply;
}

/** PUSH_REPLY_MESSAGE_TO_CLIENT as a ReplyMessage. */
export function decodePushedReply(req: RemotingCommand): ReplyMessage {
  const h = decodeReplyMessageHeader(req.extFields);
  let body = req.body ?? Buffer.alloc(0);
  if ((h.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) body = decompressBody(body, h.sysFlag);
  const base = messageFromProperties(h.topic, body, h.flag, h.properties);
  const properties = base.properties!;
  const correlationId = properties.get(MessageConst.CORRELATION_ID);
  if (!correlationId) throw new ClientError('a pushed reply carries no CORRELATION_ID');
  return {
    ...base, properties, correlationId, bornTimestamp: h.bornTimestamp, storeTimestamp: h.storeTimestamp, bornHost: h.bornHost, storeHost: h.storeHost,
  };
}

interface Pending {
  resolve(reply: ReplyMessage): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** Requests waiting for their reply, by correlation id; each ends with its reply, its timeout or a failed send. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();

  /** The reply, or a ClientError once `timeoutMs` has passed. */
  wait(correlationId: string, timeoutMs: number): Promise<ReplyMessage> {
    return new Promise<ReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new ClientError(`no reply to request ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
    });
  }

  /** False when no request waits for this reply (it timed out, or is someone else's). */
  complete(reply: ReplyMessage): boolean {
    const p = this.pending.get(reply.correlationId);
    if (!p) return false;
    this.pending.delete(reply.correlationId);
    clearTimeout(p.timer);
    p.resolve(reply);
    return true;
  }

  fail(correlationId: string, err: Error): void {
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    p.reject(err);
  }

  failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.fail(id, err);
  }
}
