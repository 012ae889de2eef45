import { CURRENT_VERSION, LanguageCode, type LanguageName } from './codes.ts';

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeValue = (typeof SerializeType)[keyof typeof SerializeType];

export const RESPONSE_FLAG = 0b01;
export const ONEWAY_FLAG = 0b10;

/** One remoting frame, request or response. extFields values are always strings on the wire. */
export interface RemotingCommand {
  code: number;
  language: LanguageName;
  version: number;
  opaque: number;
  flag: number;
  remark?: string | undefined;
  extFields?: Record<string, string> | undefined;
  body?: Buffer | undefined;
  serializeType: SerializeTypeValue;
}

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & RESPONSE_FLAG) !== 0;
}
export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & ONEWAY_FLAG) !== 0;
}

/** Header values of any primitive type become strings, as the Java header codec does; nulls are dropped. */
export type HeaderInput = Record<string, string | number | boolean | null | undefined>;
export function toExtFields(header: HeaderInput | undefined): Record<string, string> | undefined {
  if (!header) return undefined;
  const out: Record<string, string> = {};
  for (const key of Object.keys(header)) {
    const value = header[key];
    if (value !== null && value !== undefined) out[key] = String(value);
  }
  return out;
}

export function createRequest(
  code: number,
  header?: HeaderInput,
  body?: Buffer,
  serializeType: SerializeTypeValue = SerializeType.JSON,
): RemotingCommand {
  return {
    code, language: 'JAVA', version: CURRENT_VERSION, opaque: 0, flag: 0,
    extFields: toExtFields(header), body, serializeType,
  };
}

/** A response to `request`: same opaque, the request's serialize type (so Go clients, JSON only, understand it). */
export function createResponse(
  request: RemotingCommand,
  code: number,
  remark?: string,
  header?: HeaderInput,
  body?: Buffer,
): RemotingCommand {
  return {
    code, language: 'JAVA', version: CURRENT_VERSION, opaque: request.opaque, flag: RESPONSE_FLAG,
    remark, extFields: toExtFields(header), body, serializeType: request.serializeType,
  };
}

export { LanguageCode };
