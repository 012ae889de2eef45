import { createHmac, timingSafeEqual } from 'node:crypto';
import { MQVersion, type RemotingCommand } from '../remoting/index.ts';

/** Ext fields the official clients' ACL hook adds to every request (SessionCredentials' names). */
export const ACCESS_KEY_FIELD = 'AccessKey';
export const SIGNATURE_FIELD = 'Signature';
export const SECURITY_TOKEN_FIELD = 'SecurityToken';
/** Clients up to 4.9.3 added this field after signing, so servers leave it out of their content. */
const UNIQUE_KEY_QUERY_FIELD = '_UNIQUE_KEY_QUERY';

export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string | undefined;
}

/**
 * The bytes a signature covers: every ext field's value except the signature's own, in the order of their
 * keys (compared as UTF-16 code units, as a Java TreeMap does), as UTF-8, then the body.
 */
export function signatureContent(extFields: Readonly<Record<string, string>>, body: Buffer | undefined, version: number): Buffer {
  const keys = Object.keys(extFields).filter((k) => k !== SIGNATURE_FIELD && !(k === UNIQUE_KEY_QUERY_FIELD && version <= MQVersion.V4_9_3));
  keys.sort();
  let text = '';
  for (const k of keys) text += extFields[k];
  const head = Buffer.from(text, 'utf8');
  return body && body.length > 0 ? Buffer.concat([head, body]) : head;
}

/** HMAC-SHA1 of the content under the secret key, base64. */
export function computeSignature(content: Buffer, secretKey: string): string {
  return createHmac('sha1', Buffer.from(secretKey, 'utf8')).update(content).digest('base64');
}

/** The request with AccessKey, SecurityToken (when there is one) and the Signature over everything else. */
export function signRequest(request: RemotingCommand, credentials: SessionCredentials): RemotingCommand {
  const extFields: Record<string, string> = { ...request.extFields, [ACCESS_KEY_FIELD]: credentials.accessKey };
  if (credentials.securityToken !== undefined) extFields[SECURITY_TOKEN_FIELD] = credentials.securityToken;
  delete extFields[SIGNATURE_FIELD];
  extFields[SIGNATURE_FIELD] = computeSignature(signatureContent(extFields, request.body, request.version), credentials.secretKey);
  return { ...request, extFields };
}

/** Whether the request carries a valid signature under this secret key (constant time in the signature). */
export function hasValidSignature(request: RemotingCommand, secretKey: string): boolean {
  const given = request.extFields?.[SIGNATURE_FIELD];
  if (given === undefined) return false;
  const expected = Buffer.from(computeSignature(signatureContent(request.extFields!, request.body, request.version), secretKey), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
