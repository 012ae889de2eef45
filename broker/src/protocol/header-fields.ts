/**
 * Typed reads of a request's extFields (always strings on the wire). A missing or malformed required field
 * raises HeaderFieldError, which processors turn into an error response naming the field.
 */
import { RequestRefusedError, ResponseCode } from '../remoting/index.ts';

export class HeaderFieldError extends RequestRefusedError {
  constructor(message: string) {
    super(ResponseCode.INVALID_PARAMETER, message);
  }
}

export type ExtFields = Record<string, string> | undefined;

export function requiredString(ext: ExtFields, name: string): string {
  const v = ext?.[name];
  if (v === undefined || v === '') throw new HeaderFieldError(`header field "${name}" is missing`);
  return v;
}

export function optionalString(ext: ExtFields, name: string): string | undefined {
  const v = ext?.[name];
  return v === undefined || v === '' ? undefined : v;
}

function parseNumber(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || !/^\s*-?\d+\s*$/.test(v)) throw new HeaderFieldError(`header field "${name}" is not an integer: "${v}"`);
  return n;
}

export function requiredInt(ext: ExtFields, name: string): number {
  return parseNumber(name, requiredString(ext, name));
}

export function optionalInt(ext: ExtFields, name: string): number | undefined {
  const v = optionalString(ext, name);
  return v === undefined ? undefined : parseNumber(name, v);
}

export function optionalBool(ext: ExtFields, name: string): boolean | undefined {
  const v = optionalString(ext, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new HeaderFieldError(`header field "${name}" is not a boolean: "${v}"`);
}

/**
 * A number from a response's extFields, read as leniently as a client must: absent, empty or unreadable gives
 * the fallback instead of failing the call.
 */
export function numberOr(ext: ExtFields, name: string, fallback: number): number {
  const v = ext?.[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}
