/**
 * The message a producer builds. Tags, keys, delay level and the wait flag are ordinary
 * properties on the wire; they get their own fields here because users set them most.
 */
import { KEY_SEPARATOR, MessageConst, decodeProperties, encodeProperties } from './properties.ts';

export interface Message {
  topic: string;
  body: Buffer;
  tags?: string;
  keys?: string[];
  /** User flag, stored as the record's FLAG. */
  flag?: number;
  /** Delay level (1..18 with the default table); 0 or absent means no delay. */
  delayTimeLevel?: number;
  /** Whether a sync-flush broker should wait for the disk before answering; default true. */
  waitStoreMsgOK?: boolean;
  /** Any other properties; the fields above override the same keys here. */
  properties?: Map<string, string>;
}

/** All properties of `msg` as they will be sent, the dedicated fields merged in. */
export function messageProperties(msg: Message): Map<string, string> {
  const props = new Map(msg.properties ?? []);
  if (msg.tags !== undefined && msg.tags.length > 0) props.set(MessageConst.TAGS, msg.tags);
  if (msg.keys !== undefined && msg.keys.length > 0) props.set(MessageConst.KEYS, msg.keys.join(KEY_SEPARATOR));
  if (msg.delayTimeLevel !== undefined && msg.delayTimeLevel > 0) {
    props.set(MessageConst.DELAY, String(msg.delayTimeLevel));
  }
  if (msg.waitStoreMsgOK !== undefined || !props.has(MessageConst.WAIT)) {
    props.set(MessageConst.WAIT, String(msg.waitStoreMsgOK ?? true));
  }
  return props;
}

/** The encoded properties string for the send header (or a batch item). */
export function encodeMessageProperties(msg: Message): string {
  return encodeProperties(messageProperties(msg));
}

export function tagsOf(props: ReadonlyMap<string, string>): string | undefined {
  return props.get(MessageConst.TAGS);
}

export function keysOf(props: ReadonlyMap<string, string>): string[] {
  const keys = props.get(MessageConst.KEYS);
  return keys === undefined ? [] : keys.split(KEY_SEPARATOR).filter((k) => k.length > 0);
}

/** The user-facing message back from an encoded properties string (e.g. a pulled record). */
export function messageFromProperties(topic: string, body: Buffer, flag: number, properties: string | Map<string, string>): Message {
  const props = typeof properties === 'string' ? decodeProperties(properties) : new Map(properties);
  const msg: Message = { topic, body, flag, properties: props };
  const tags = tagsOf(props);
  if (tags !== undefined) msg.tags = tags;
  const keys = keysOf(props);
  if (keys.length > 0) msg.keys = keys;
  const delay = props.get(MessageConst.DELAY);
  if (delay !== undefined) msg.delayTimeLevel = Number(delay);
  const wait = props.get(MessageConst.WAIT);
  if (wait !== undefined) msg.waitStoreMsgOK = wait !== 'false';
  return msg;
}
