import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, hasValidSignature, signatureContent, signRequest } from '../../src/protocol/request-signature.ts';
import { createRequest, MQVersion } from '../../src/remoting/index.ts';

const credentials = { accessKey: 'tern-user', secretKey: 'tern-secret' };

describe('AclClientRPCHook signature', () => {
  it('covers the values in key order (UTF-16 code units, uppercase first) then the body', () => {
    const content = signatureContent({ b: '2', a: '1', Z: '0', Signature: 'ignored', 'é': '3' }, Buffer.from([0xff, 0x00]), MQVersion.V5_3_3);
    expect(content).toEqual(Buffer.concat([Buffer.from('0123', 'utf8'), Buffer.from([0xff, 0x00])]));
    expect(computeSignature(content, 'k')).toBe(createHmac('sha1', 'k').update(content).digest('base64'));
  });

  it('leaves _UNIQUE_KEY_QUERY out only for clients up to 4.9.3, which added it after signing', () => {
    const fields = { a: 'x', _UNIQUE_KEY_QUERY: 'true' };
    expect(signatureContent(fields, undefined, MQVersion.V4_9_3).toString()).toBe('x');
    expect(signatureContent(fields, undefined, MQVersion.V4_9_4).toString()).toBe('truex');
  });

  it('a signed request verifies with the secret and fails with another secret or a changed field or body', () => {
    const signed = signRequest(createRequest(10, { topic: 'T', queueId: 3 }, Buffer.from('body')), { ...credentials, securityToken: 'tok' });
    expect(signed.extFields).toMatchObject({ AccessKey: 'tern-user', SecurityToken: 'tok', topic: 'T', queueId: '3' });
    expect(hasValidSignature(signed, credentials.secretKey)).toBe(true);
    expect(hasValidSignature(signed, 'other')).toBe(false);
    expect(hasValidSignature({ ...signed, extFields: { ...signed.extFields, queueId: '4' } }, credentials.secretKey)).toBe(false);
    expect(hasValidSignature({ ...signed, body: Buffer.from('bodY') }, credentials.secretKey)).toBe(false);
    const { Signature: _, ...unsigned } = signed.extFields!;
    expect(hasValidSignature({ ...signed, extFields: unsigned }, credentials.secretKey)).toBe(false);
  });

  it('signing again replaces the old signature rather than covering it', () => {
    const once = signRequest(createRequest(105, { topic: 'T' }), credentials);
    const twice = signRequest(once, credentials);
    expect(twice.extFields!.Signature).toBe(once.extFields!.Signature);
  });
});
