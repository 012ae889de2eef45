import { describe, expect, it } from 'vitest';
import { decodeRecallHandle, encodeRecallHandle } from '../../src/protocol/index.ts';

describe('recall handle (RocketMQ v1)', () => {
  it('is "v1 topic broker timestamp id" in padded URL-safe base64, as Java\'s Base64.getUrlEncoder() writes it', () => {
    const h = { topic: 'TopicA', brokerName: 'broker-a', timestamp: '1700000000000', messageId: '7F0000014A2F18B4AAC2' };
    // Computed independently (Python's base64.urlsafe_b64encode).
    expect(encodeRecallHandle(h)).toBe('djEgVG9waWNBIGJyb2tlci1hIDE3MDAwMDAwMDAwMDAgN0YwMDAwMDE0QTJGMThCNEFBQzI=');
    expect(decodeRecallHandle(encodeRecallHandle(h))).toEqual(h);
    expect(encodeRecallHandle({ topic: 't?>b', brokerName: '1', timestamp: 'x', messageId: '' }).length % 4).toBe(0);
  });

  it('refuses what is not a v1 handle', () => {
    expect(decodeRecallHandle('not base64!')).toBeInstanceOf(Error);
    expect(decodeRecallHandle(Buffer.from('v2 a b c d').toString('base64url'))).toBeInstanceOf(Error);
    expect(decodeRecallHandle(Buffer.from('v1 a b c').toString('base64url'))).toBeInstanceOf(Error);
  });
});
