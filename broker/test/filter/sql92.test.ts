import { describe, expect, it } from 'vitest';
import { compileSql92, compileSqlEvaluator, SqlEvaluationError } from '../../src/filter/sql92-evaluator.ts';
import { parseSql92, SqlFilterSyntaxError, type SqlNode } from '../../src/filter/sql92-parser.ts';
import { EVALUATION_CASES, SYNTAX_ERROR_CASES, type Outcome } from './sql92-cases.ts';

function outcome(expression: string, properties: Record<string, string>): Outcome {
  const evaluate = compileSqlEvaluator(parseSql92(expression));
  try {
    const v = evaluate(new Map(Object.entries(properties)));
    if (v === true) return 'TRUE';
    if (v === false) return 'FALSE';
    if (v === null) return 'NULL';
    throw new Error(`non-boolean result ${JSON.stringify(v)}`);
  } catch (err) {
    if (err instanceof SqlEvaluationError) return 'ERROR';
    throw err;
  }
}

function syntaxError(expression: string): SqlFilterSyntaxError {
  try {
    parseSql92(expression);
  } catch (err) {
    if (err instanceof SqlFilterSyntaxError) return err;
    throw err;
  }
  throw new Error(`${JSON.stringify(expression)} parsed`);
}

describe('SQL92 evaluation matches RocketMQ', () => {
  it.each(EVALUATION_CASES.map((c) => [c.expression, JSON.stringify(c.properties), c.expected, c] as const))(
    '%s with %s is %s',
    (_e, _p, expected, c) => {
      expect(outcome(c.expression, c.properties)).toBe(expected);
    },
  );

  it('matches only TRUE: NULL, FALSE and evaluation errors are all "not matched"', () => {
    for (const c of EVALUATION_CASES) {
      const matches = compileSql92(parseSql92(c.expression));
      expect(matches(new Map(Object.entries(c.properties))), `${c.expression} ${JSON.stringify(c.properties)}`)
        .toBe(c.expected === 'TRUE');
    }
  });

  it('treats a missing property map as all properties null', () => {
    expect(compileSql92(parseSql92('a IS NULL'))(undefined)).toBe(true);
    expect(compileSql92(parseSql92("a = 'x'"))(undefined)).toBe(false);
  });

  it('sees every property, system ones included', () => {
    const props = new Map([['TAGS', 'TagA'], ['KEYS', 'k1 k2'], ['UNIQ_KEY', 'ABC'], ['region', 'eu']]);
    expect(compileSql92(parseSql92("TAGS = 'TagA' AND KEYS CONTAINS 'k2' AND UNIQ_KEY IS NOT NULL AND region IN ('eu', 'us')"))(props))
      .toBe(true);
  });

  it('evaluates long OR chains and long IN lists without deep recursion', () => {
    const terms = Array.from({ length: 5000 }, (_, i) => `a = '${i}'`).join(' OR ');
    const matches = compileSql92(parseSql92(terms));
    expect(matches(new Map([['a', '4999']]))).toBe(true);
    expect(matches(new Map([['a', 'x']]))).toBe(false);
    const list = Array.from({ length: 5000 }, (_, i) => `'v${i}'`).join(',');
    expect(compileSql92(parseSql92(`a IN (${list})`))(new Map([['a', 'v1234']]))).toBe(true);
  });
});

describe('SQL92 syntax errors', () => {
  it.each(SYNTAX_ERROR_CASES.map((c) => [c.expression, c] as const))('%j is refused', (_e, c) => {
    const err = syntaxError(c.expression);
    expect(err.message).toContain(c.message);
    expect(err.position).toBe(c.position);
    expect(err.expression).toBe(c.expression);
  });

  it('reports the column in the message', () => {
    expect(syntaxError('a > 5 AND b =').message)
      .toBe("invalid SQL92 filter at column 14: expected a property name, a literal or '(' but found the end of the expression");
  });

  it('refuses nesting deep enough to threaten the stack', () => {
    expect(compileSql92(parseSql92(`${'('.repeat(100)}a = '1'${')'.repeat(100)}`))(new Map([['a', '1']]))).toBe(true);
    expect(syntaxError(`${'('.repeat(300)}a = 1${')'.repeat(300)}`).message).toContain('nests deeper than 128 levels');
    expect(syntaxError(`a > ${'- '.repeat(300)}1`).message).toContain('nests deeper than 128 levels');
    expect(syntaxError(`a = 1${' = TRUE'.repeat(300)}`).message).toContain('nests deeper than 128 levels');
    expect(syntaxError(`${'NOT '.repeat(100_000)}TRUE`).message).toContain('nests deeper than 128 levels');
  });
});

describe('SQL92 parser', () => {
  it('accepts RocketMQ ParserTest expressions', () => {
    for (const e of [
      'a=3 and b<>4 And c>5 AND d<=4',
      'a=3  and    b<>4 And c>5 AND d<=4',
      "a in ('3', '4', '5')",
      "(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
      '(a between 2 and 10) AND (b not between 6 and 9)',
      'a is null',
      'a is not null',
      'a <= now',
      "a=3 and b contains 'xxx' and c not contains 'xxx'",
    ]) {
      expect(() => parseSql92(e), e).not.toThrow();
    }
  });

  it('types integer literals as int when they fit 32 bits, else long, and decimals as double', () => {
    const right = (e: string): SqlNode => {
      const n = parseSql92(e);
      if (n.kind !== 'ordering') throw new Error(n.kind);
      return n.right;
    };
    expect(right('a > 2147483647')).toEqual({ kind: 'literal', literal: { type: 'int', value: 2147483647 } });
    expect(right('a > 7L')).toEqual({ kind: 'literal', literal: { type: 'int', value: 7 } });
    expect(right('a > 2147483648')).toEqual({ kind: 'literal', literal: { type: 'long', value: 2147483648n } });
    expect(right('a > 9223372036854775807l')).toEqual({ kind: 'literal', literal: { type: 'long', value: 9223372036854775807n } });
    expect(right('a > 5.')).toEqual({ kind: 'literal', literal: { type: 'double', value: 5 } });
    expect(right('a > .5e1')).toEqual({ kind: 'literal', literal: { type: 'double', value: 5 } });
    expect(right('a > 5E-1')).toEqual({ kind: 'literal', literal: { type: 'double', value: 0.5 } });
    expect(right('a > -3')).toEqual({ kind: 'negate', operand: { kind: 'literal', literal: { type: 'int', value: 3 } } });
  });

  it('gives AND precedence over OR and keeps chains flat', () => {
    const p = (name: string): SqlNode => ({ kind: 'booleanCast', operand: { kind: 'property', name } });
    expect(parseSql92('a OR b AND c OR d')).toEqual({
      kind: 'or', operands: [p('a'), { kind: 'and', operands: [p('b'), p('c')] }, p('d')],
    });
  });

  it('binds NOT to the value right after it, as RocketMQ does', () => {
    expect(parseSql92("NOT a = 'x'")).toEqual({
      kind: 'equal',
      negated: false,
      left: { kind: 'not', operand: { kind: 'booleanCast', operand: { kind: 'property', name: 'a' } } },
      right: { kind: 'literal', literal: { type: 'string', value: 'x' } },
    });
  });

  it('reads keywords in any case and never as property names', () => {
    expect(parseSql92('a iS nOt NuLl')).toEqual({ kind: 'isNull', negated: true, operand: { kind: 'property', name: 'a' } });
    expect(parseSql92('notes = 1')).toMatchObject({ kind: 'equal', left: { kind: 'property', name: 'notes' } });
    expect(parseSql92('TRUEx = 1')).toMatchObject({ kind: 'equal', left: { kind: 'property', name: 'TRUEx' } });
  });

  it('decodes doubled quotes and skips comments', () => {
    expect(parseSql92("/* c */ a = 'it''s' -- trailing comment")).toMatchObject({
      kind: 'equal', right: { kind: 'literal', literal: { type: 'string', value: "it's" } },
    });
  });
});
