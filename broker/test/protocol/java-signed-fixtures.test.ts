import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/remoting/index.ts';
import { computeSignature, hasValidSignature, signatureContent, signRequest } from '../../src/protocol/request-signature.ts';

// Frames the official Java client 5.3.3 signed with AclClientRPCHook (see fixtures/java-client-acl/README.md).
const dir = path.resolve(import.meta.dirname, '../fixtures/java-client-acl');
const SECRET = 'fixture-secret';
const frame = (name: string) => decodeFrame(fs.readFileSync(path.join(dir, `${name}.json.bin`)));

describe('signatures of requests captured from the official Java client', () => {
  for (const name of ['get-routeinfo-by-topic-signed-request', 'send-message-v2-signed-request']) {
    it(`${name}: Tern computes the signature the Java client sent, and only with its secret`, () => {
      const request = frame(name);
      const sent = request.extFields!.Signature!;
      expect(computeSignature(signatureContent(request.extFields!, request.body, request.version), SECRET)).toBe(sent);
      expect(hasValidSignature(request, SECRET)).toBe(true);
      expect(hasValidSignature(request, 'not-the-secret')).toBe(false);
      // Tern's client, signing the same fields and body, produces the same bytes on the wire.
      const { Signature: _, AccessKey: accessKey, ...fields } = request.extFields!;
      expect(signRequest({ ...request, extFields: fields }, { accessKey: accessKey!, secretKey: SECRET }).extFields!.Signature).toBe(sent);
    });
  }

  it('the send\'s body is covered: changing one byte breaks the signature', () => {
    const request = frame('send-message-v2-signed-request');
    expect(request.body!.length).toBe(16);
    const body = Buffer.from(request.body!);
    body[0] = body[0]! ^ 1;
    expect(hasValidSignature({ ...request, body }, SECRET)).toBe(false);
  });
});
