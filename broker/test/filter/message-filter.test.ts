import { describe, expect, it } from 'vitest';
import { compileFilter, parseTagExpression } from '../../src/filter/message-filter.ts';
import { SqlFilterSyntaxError } from '../../src/filter/sql92-parser.ts';
import { javaStringHash } from '../../src/message/java-string-hash.ts';

const TAG_A = 2598919; // "TagA".hashCode() in Java
const TAG_B = 2598920;

describe('parseTagExpression', () => {
  it('splits on ||, trims, drops empty and repeated tags', () => {
    expect(parseTagExpression('TagA || TagB')).toEqual({ tagsSet: ['TagA', 'TagB'], codeSet: [TAG_A, TAG_B] });
    expect(parseTagExpression(' TagA ||  || TagA ||TagB|| ')).toEqual({ tagsSet: ['TagA', 'TagB'], codeSet: [TAG_A, TAG_B] });
    expect(parseTagExpression('a b||c')).toEqual({ tagsSet: ['a b', 'c'], codeSet: [javaStringHash('a b'), 99] });
  });

  it('subscribes to everything with "*" or an empty expression', () => {
    for (const e of ['*', '', '  ', ' * ']) expect(parseTagExpression(e)).toEqual({ tagsSet: [], codeSet: [] });
  });

  it('lists a hash once even when two tags share it', () => {
    // "Aa" and "BB" collide in Java's String.hashCode.
    expect(parseTagExpression('Aa || BB')).toEqual({ tagsSet: ['Aa', 'BB'], codeSet: [2112] });
  });
});

describe('compileFilter TAG', () => {
  it('matches every tags code for "*" and for an empty expression', () => {
    for (const e of ['*', '', ' * ']) {
      const f = compileFilter('TAG', e);
      expect(f.matchTagsCode(0)).toBe(true);
      expect(f.matchTagsCode(12345)).toBe(true);
    }
  });

  it('matches the listed tags by Java hash code', () => {
    const f = compileFilter('TAG', 'TagA || TagB');
    expect(f.expressionType).toBe('TAG');
    expect(f.needsProperties).toBe(false);
    expect(f.matchTagsCode(TAG_A)).toBe(true);
    expect(f.matchTagsCode(TAG_B)).toBe(true);
    expect(f.matchTagsCode(javaStringHash('TagC'))).toBe(false);
    expect(f.matchTagsCode(0)).toBe(false); // a message without tags
    expect(f.matchProperties(new Map())).toBe(true);
  });

  it('compares the low 32 bits of the stored 64-bit tags code, as (int) tagsCode does', () => {
    const f = compileFilter('TAG', 'TagA || polygenelubricants');
    expect(f.matchTagsCode(BigInt(TAG_A))).toBe(true);
    expect(f.matchTagsCode((1n << 32n) + BigInt(TAG_A))).toBe(true);
    expect(f.matchTagsCode(2 ** 32 + TAG_A)).toBe(true);
    expect(f.matchTagsCode(-2147483648)).toBe(true); // "polygenelubricants".hashCode()
    expect(f.matchTagsCode(2147483648)).toBe(true);
  });

  it('matches nothing when the expression names no tag', () => {
    expect(compileFilter('TAG', ' || ').matchTagsCode(0)).toBe(false);
  });
});

describe('compileFilter SQL92', () => {
  it('passes every ConsumeQueue entry and filters on properties', () => {
    const f = compileFilter('SQL92', "a > 5 AND b = 'x'");
    expect(f.expressionType).toBe('SQL92');
    expect(f.needsProperties).toBe(true);
    expect(f.matchTagsCode(0)).toBe(true);
    expect(f.matchTagsCode(123n)).toBe(true);
    expect(f.matchProperties(new Map([['a', '6'], ['b', 'x']]))).toBe(true);
    expect(f.matchProperties(new Map([['a', '5'], ['b', 'x']]))).toBe(false);
    expect(f.matchProperties(new Map([['a', 'six'], ['b', 'x']]))).toBe(false);
    expect(f.matchProperties(new Map([['b', 'x']]))).toBe(false);
    expect(f.matchProperties(undefined)).toBe(false);
  });

  it('throws SqlFilterSyntaxError for an expression that does not compile, every time', () => {
    let first: unknown;
    try {
      compileFilter('SQL92', 'a >');
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(SqlFilterSyntaxError);
    expect(() => compileFilter('SQL92', 'a >')).toThrow(SqlFilterSyntaxError);
  });

  it('reads the same text differently per expression type', () => {
    expect(compileFilter('TAG', 'TagA').matchTagsCode(0)).toBe(false);
    expect(() => compileFilter('SQL92', 'TagA')).not.toThrow(); // a bare property: never TRUE
    expect(compileFilter('SQL92', 'TagA').matchProperties(new Map([['TagA', 'true']]))).toBe(false);
  });
});

describe('filter cache', () => {
  it('hands out the same filter for the same expression', () => {
    expect(compileFilter('SQL92', "cached = 'yes'")).toBe(compileFilter('SQL92', "cached = 'yes'"));
    expect(compileFilter('TAG', 'TagA || TagB')).toBe(compileFilter('TAG', 'TagA || TagB'));
  });

  it('keeps the 100 most recently used expressions', () => {
    const kept = compileFilter('SQL92', "lru = 'kept'");
    for (let i = 0; i < 99; i++) compileFilter('SQL92', `fill = ${i}`);
    expect(compileFilter('SQL92', "lru = 'kept'")).toBe(kept); // a hit refreshes it
    for (let i = 99; i < 198; i++) compileFilter('SQL92', `fill = ${i}`);
    expect(compileFilter('SQL92', "lru = 'kept'")).toBe(kept);
    for (let i = 198; i < 298; i++) compileFilter('SQL92', `fill = ${i}`);
    expect(compileFilter('SQL92', "lru = 'kept'")).not.toBe(kept);
  });
});
