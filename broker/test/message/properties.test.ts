import { describe, expect, it } from 'vitest';
import {
  MessageConst,
  decodeProperties,
  encodeProperties,
  findProperty,
  joinProperties,
} from '../../src/message/properties.ts';

describe('properties codec', () => {
  it('encodes pairs with a trailing separator', () => {
    const s = encodeProperties(new Map([['TAGS', 'a'], ['KEYS', 'k1 k2']]));
    expect(s).toBe('TAGS\u0001a\u0002KEYS\u0001k1 k2\u0002');
    expect(encodeProperties({ A: 'x', B: undefined })).toBe('A\u0001x\u0002');
    expect(encodeProperties(new Map())).toBe('');
  });

  it('round-trips, including non-ASCII values', () => {
    const m = new Map([['UNIQ_KEY', '7F0000010001'], ['TAGS', 'étiquette 标签'], ['WAIT', 'true']]);
    expect(decodeProperties(encodeProperties(m))).toEqual(m);
  });

  it('skips malformed segments like RocketMQ 5.x', () => {
    // no trailing separator, empty key, empty value, too short, no name/value separator
    const d = decodeProperties('A\u0001x\u0002\u0001v\u0002K\u0001\u0002ab\u0002nosep\u0002B\u0001y');
    expect([...d]).toEqual([['A', 'x'], ['B', 'y']]);
    // the value keeps any later \x01
    expect(decodeProperties('K\u0001a\u0001b\u0002').get('K')).toBe('a\u0001b');
    expect(decodeProperties('').size).toBe(0);
    // a later duplicate wins
    expect(decodeProperties('K\u00011\u0002K\u00012\u0002').get('K')).toBe('2');
  });

  it('findProperty agrees with decodeProperties', () => {
    const s = 'TAGSX\u0001no\u0002XTAGS\u0001no\u0002TAGS\u0001yes\u0002T\u0001z\u0002';
    expect(findProperty(s, 'TAGS')).toBe('yes');
    expect(findProperty(s, 'T')).toBe('z');
    expect(findProperty(s, 'NONE')).toBeUndefined();
    expect(findProperty('TAGS\u0001\u0002', 'TAGS')).toBeUndefined();
    expect(findProperty('TAGS\u0001v', 'TAGS')).toBe('v');
  });

  it('joins encoded strings, adding the separator when missing', () => {
    expect(joinProperties('A\u0001x\u0002', 'B\u0001y\u0002')).toBe('A\u0001x\u0002B\u0001y\u0002');
    expect(joinProperties('A\u0001x', 'B\u0001y\u0002')).toBe('A\u0001x\u0002B\u0001y\u0002');
    expect(joinProperties('', 'B\u0001y\u0002')).toBe('B\u0001y\u0002');
  });

  it('spells the well-known keys as on the wire', () => {
    expect(MessageConst.UNIQ_KEY).toBe('UNIQ_KEY');
    expect(MessageConst.TRANSACTION_ID).toBe('__transactionId__');
    expect(MessageConst.FIRST_POP_TIME).toBe('1ST_POP_TIME');
  });
});
