import { describe, expect, it } from 'vitest';
import { encodeMessageProperties, messageFromProperties, messageProperties } from '../../src/message/message.ts';
import { decodeProperties } from '../../src/message/properties.ts';

describe('Message', () => {
  it('merges tags, keys, delay and wait into the properties', () => {
    const props = messageProperties({
      topic: 'T',
      body: Buffer.from('x'),
      tags: 'TagA',
      keys: ['k1', 'k2'],
      delayTimeLevel: 3,
      properties: new Map([['custom', 'v'], ['TAGS', 'overridden']]),
    });
    expect(Object.fromEntries(props)).toEqual({ custom: 'v', TAGS: 'TagA', KEYS: 'k1 k2', DELAY: '3', WAIT: 'true' });
  });

  it('round-trips through the encoded string', () => {
    const msg = { topic: 'T', body: Buffer.from('x'), tags: 'A', keys: ['a', 'b'], waitStoreMsgOK: false };
    const back = messageFromProperties('T', msg.body, 0, encodeMessageProperties(msg));
    expect(back.tags).toBe('A');
    expect(back.keys).toEqual(['a', 'b']);
    expect(back.waitStoreMsgOK).toBe(false);
    expect(decodeProperties(encodeMessageProperties(msg)).get('WAIT')).toBe('false');
  });
});
