/**
 * What RocketMQ's SQL92 filter makes of an expression and a message's properties. The cases restate
 * the behaviour RocketMQ's own filter tests cover (ExpressionTest, ParserTest) plus the edge cases
 * its ComparisonExpression/LogicExpression/UnaryExpression code implies; every expected value was
 * checked against rocketmq-filter 5.3.3 run on the JVM.
 *
 * TRUE is a match. FALSE and NULL are not, and neither is ERROR: RocketMQ's evaluation threw
 * (typically a property that does not parse as the literal's number type), which aborts the whole
 * expression, OR branches included.
 */
export type Outcome = 'TRUE' | 'FALSE' | 'NULL' | 'ERROR';

export interface EvaluationCase {
  expression: string;
  properties: Record<string, string>;
  expected: Outcome;
}

function cases(expression: string, ...rows: [Record<string, string>, Outcome][]): EvaluationCase[] {
  return rows.map(([properties, expected]) => ({ expression, properties, expected }));
}

export const EVALUATION_CASES: EvaluationCase[] = [
  // The example.
  ...cases("a > 5 AND b = 'x'",
    [{ a: '6', b: 'x' }, 'TRUE'],
    [{ a: '5', b: 'x' }, 'FALSE'],
    [{ a: '6', b: 'y' }, 'FALSE'],
    [{ a: '4' }, 'FALSE'],
    [{ b: 'x' }, 'NULL'],
    [{ a: '6' }, 'NULL'],
    [{}, 'NULL'],
    [{ a: '5.5', b: 'x' }, 'ERROR'],
    [{ a: 'abc', b: 'x' }, 'ERROR']),

  // Chains of AND / OR with mixed-case keywords (ExpressionTest's and/or expressions).
  ...cases('a=3 and b<>4 And c>5 AND d<=4',
    [{ a: '3', b: '5', c: '6', d: '1' }, 'TRUE'],
    [{ a: '4', b: '5', c: '6', d: '1' }, 'FALSE'],
    [{ a: '3', b: '4', c: '6', d: '1' }, 'FALSE'],
    [{ a: '3', b: '5', c: '6' }, 'NULL']),
  ...cases('a=3 or b<>4 Or c>5 OR d<=4',
    [{ a: '3' }, 'TRUE'],
    [{ a: '4', b: '5' }, 'TRUE'],
    [{ a: '4', b: '4', c: '6' }, 'TRUE'],
    [{ a: '4', b: '4', c: '3', d: '2' }, 'TRUE'],
    [{ a: '4', b: '4', c: '3', d: '10' }, 'FALSE'],
    [{ a: '4', b: '4', c: '3' }, 'NULL']),

  // IN / NOT IN compare strings exactly.
  ...cases("a in ('3', '4', '5')",
    [{ a: '3' }, 'TRUE'], [{ a: '5' }, 'TRUE'], [{ a: '8' }, 'FALSE'], [{ a: '3.0' }, 'FALSE'], [{}, 'NULL']),
  ...cases("a not in ('3', '4', '5')",
    [{ a: '8' }, 'TRUE'], [{ a: '4' }, 'FALSE'], [{}, 'NULL']),
  ...cases("TAGS IN ('TagA', 'TagB', 'TagC', 'TagD', 'TagE', 'TagF')",
    [{ TAGS: 'TagE' }, 'TRUE'], [{ TAGS: 'taga' }, 'FALSE']),
  ...cases("(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))",
    [{ a: '6', b: '3' }, 'TRUE'], [{ a: '6', b: '7' }, 'FALSE'], [{ a: '1' }, 'TRUE'], [{ a: '6' }, 'NULL']),

  // BETWEEN is (x >= low AND x <= high); NOT BETWEEN is (x < low OR x > high).
  ...cases('a between 2 and 10',
    [{ a: '2' }, 'TRUE'], [{ a: '10' }, 'TRUE'], [{ a: '3' }, 'TRUE'],
    [{ a: '1' }, 'FALSE'], [{ a: '11' }, 'FALSE'], [{}, 'NULL'], [{ a: 'abc' }, 'ERROR'], [{ a: '3.5' }, 'ERROR']),
  ...cases('a not between 2 and 10',
    [{ a: '1' }, 'TRUE'], [{ a: '11' }, 'TRUE'], [{ a: '2' }, 'FALSE'], [{ a: '10' }, 'FALSE'], [{}, 'NULL']),
  ...cases('(a between 2 and 10) AND (b not between 6 and 9)',
    [{ a: '5', b: '10' }, 'TRUE'], [{ a: '5', b: '7' }, 'FALSE']),
  ...cases('a BETWEEN 1 AND 2.5',
    [{ a: '2' }, 'TRUE'], [{ a: '3' }, 'FALSE'], [{ a: '2.2' }, 'ERROR']),
  ...cases('a BETWEEN 1.0 AND 2.5', [{ a: '2.2' }, 'TRUE']),
  ...cases('a between -10 and -5', [{ a: '-7' }, 'TRUE'], [{ a: '-11' }, 'FALSE']),
  // A signed bound is not a plain literal, so the low <= high check does not apply.
  ...cases('a between -5 and -10', [{ a: '-7' }, 'FALSE']),
  ...cases('a not between 10 and 2', [{ a: '5' }, 'TRUE']),
  ...cases('a between up and low',
    [{ a: '3.14' }, 'NULL'], [{ a: '3.14', up: 'up', low: 'low' }, 'ERROR'], [{ a: '5', up: '1', low: '9' }, 'TRUE']),
  ...cases('key is not null and key between 0 and 100', [{ key: 'con' }, 'ERROR'], [{ key: '50' }, 'TRUE']),
  ...cases("a not in ('4', '4', '5') and b between 3 and 10 and c not contains 'axbc'",
    [{ a: '3', b: '3', c: 'axbdc' }, 'TRUE']),

  // IS NULL / IS NOT NULL never yield NULL.
  ...cases('a is null', [{ abc: '2' }, 'TRUE'], [{ a: '2' }, 'FALSE'], [{ a: '' }, 'FALSE']),
  ...cases('a is not null', [{ a: '2' }, 'TRUE'], [{ abc: '2' }, 'FALSE']),
  ...cases("a is not null and a='hello'", [{ a: 'hello' }, 'TRUE'], [{}, 'FALSE']),
  ...cases("a is null OR a='hello'", [{}, 'TRUE'], [{ a: 'hello' }, 'TRUE'], [{ a: 'abc' }, 'FALSE']),
  ...cases('a Is NoT nUlL aNd b iS nULL', [{ a: '1' }, 'TRUE'], [{ a: '1', b: '2' }, 'FALSE']),

  // A missing property is null: comparisons give NULL, and only IS NULL / OR / AND can decide.
  ...cases("a = 'x' OR b = 'y'", [{ b: 'y' }, 'TRUE'], [{ b: 'z' }, 'NULL'], [{ a: 'q', b: 'z' }, 'FALSE']),
  ...cases("a = 'x' AND b = 'y'", [{ b: 'z' }, 'FALSE'], [{ b: 'y' }, 'NULL']),
  ...cases("NOT (a = 'x')", [{ a: 'y' }, 'TRUE'], [{ a: 'x' }, 'FALSE'], [{}, 'NULL']),
  ...cases("a <> 'x'", [{ a: 'y' }, 'TRUE'], [{}, 'NULL']),
  ...cases('a > 5', [{}, 'NULL']),
  ...cases('5 < a', [{ a: '6' }, 'TRUE'], [{}, 'NULL']),
  // RocketMQ's equality is lopsided: a null on the right gives FALSE, not NULL; two nulls are equal.
  ...cases("'x' = a", [{}, 'FALSE'], [{ a: 'x' }, 'TRUE']),
  ...cases("'x' <> a", [{}, 'TRUE']),
  ...cases('a = b', [{}, 'TRUE'], [{ a: '1' }, 'FALSE'], [{ b: '1' }, 'NULL'], [{ a: '3.14', b: '3.14' }, 'TRUE']),
  ...cases('a <> b', [{ a: '3.14', b: '3.14' }, 'FALSE'], [{ a: '3.14', b: '3.141' }, 'TRUE']),
  ...cases('NULL', [{}, 'NULL']),
  ...cases('NOT NULL', [{}, 'NULL']),
  ...cases('NULL OR TRUE', [{}, 'TRUE']),
  ...cases('NULL AND FALSE', [{}, 'FALSE']),
  ...cases('NULL AND TRUE', [{}, 'NULL']),
  ...cases('TRUE', [{}, 'TRUE']),
  ...cases('NOT FALSE', [{}, 'TRUE']),

  // A property compared with a number literal is parsed as that literal's Java type:
  // Integer for literals that fit 32 bits, Long for larger ones, Double for decimals.
  ...cases('a = 5', [{ a: '5' }, 'TRUE'], [{ a: '05' }, 'TRUE'], [{ a: '+5' }, 'TRUE'], [{ a: '6' }, 'FALSE'],
    [{ a: '5.0' }, 'ERROR'], [{ a: ' 5' }, 'ERROR'], [{ a: '' }, 'ERROR'], [{ a: '\u0665' }, 'TRUE']),
  ...cases('a = 5L', [{ a: '5' }, 'TRUE']),
  ...cases('a = 5.0', [{ a: '5' }, 'TRUE'], [{ a: ' 5 ' }, 'TRUE'], [{ a: '5d' }, 'TRUE'], [{ a: '5e0' }, 'TRUE']),
  ...cases("a = '5'", [{ a: '5' }, 'TRUE'], [{ a: '5.0' }, 'FALSE']),
  ...cases('a > 5', [{ a: '3000000000' }, 'ERROR'], [{ a: '6' }, 'TRUE']),
  ...cases('a > 2147483648', [{ a: '3000000000' }, 'TRUE'], [{ a: '6' }, 'FALSE'], [{ a: '6.5' }, 'ERROR']),
  ...cases('a > 9223372036854775806', [{ a: '9223372036854775807' }, 'TRUE'], [{ a: '9223372036854775808' }, 'ERROR']),
  ...cases('a = 9223372036854775807', [{ a: '9223372036854775807' }, 'TRUE'], [{ a: '9223372036854775806' }, 'FALSE']),
  ...cases('a > 3.14', [{ a: '3.1415' }, 'TRUE'], [{ a: '3' }, 'FALSE'], [{ a: 'NaN' }, 'TRUE'], [{ a: '1.5f' }, 'FALSE'],
    [{ a: 'Infinity' }, 'TRUE'], [{ a: '0x10' }, 'ERROR'], [{ a: 'abc' }, 'ERROR']),
  ...cases('a > 3.1E10', [{ a: '3.1415E10' }, 'TRUE'], [{ a: '31000000000' }, 'FALSE']),
  ...cases('a < .5', [{ a: '-Infinity' }, 'TRUE'], [{ a: '.25' }, 'TRUE']),
  ...cases('a >= 5.', [{ a: '5' }, 'TRUE']),
  ...cases('a > -5', [{ a: '-3' }, 'TRUE'], [{ a: '-7' }, 'FALSE']),
  ...cases('a = -2147483648', [{ a: '-2147483648' }, 'TRUE']),
  ...cases('a = - -5', [{ a: '5' }, 'TRUE']),
  ...cases('a = +5', [{ a: '5' }, 'TRUE']),
  ...cases('a = -1.5', [{ a: '-1.5' }, 'TRUE']),
  // Negating anything but a number gives null.
  ...cases("a > -'x'", [{ a: '1' }, 'NULL']),
  ...cases('a = -b', [{ a: '1', b: '1' }, 'FALSE']),
  // Two properties under >, >=, <, <= are both read as doubles.
  ...cases('a > b', [{ a: '10', b: '20' }, 'FALSE'], [{ a: '20', b: '10' }, 'TRUE'], [{ a: '2.5', b: '2' }, 'TRUE'],
    [{ a: 'abc', b: '1' }, 'ERROR']),
  // Literal against literal.
  ...cases('5 > 3', [{}, 'TRUE']),
  ...cases('5 = 5.0', [{}, 'TRUE']),
  ...cases('2147483648 > 5', [{}, 'TRUE']),
  ...cases("'abc' = 'abc'", [{}, 'TRUE']),
  ...cases('1 = TRUE', [{}, 'FALSE']),

  // An evaluation error aborts the whole expression, unless a short circuit skips it.
  ...cases("a = 5 OR b = 'x'", [{ a: 'abc', b: 'x' }, 'ERROR'], [{ b: 'x' }, 'TRUE']),
  ...cases("b = 'x' OR a = 5", [{ a: 'abc', b: 'x' }, 'TRUE']),
  ...cases("b = 'x' AND a = 5", [{ a: 'abc', b: 'y' }, 'FALSE']),

  // Strings meeting booleans go through Boolean.valueOf: only "true" in any case is TRUE.
  ...cases('a=TRUE OR b=FALSE', [{ a: 'true', b: 'false' }, 'TRUE'], [{ a: 'false', b: 'true' }, 'FALSE']),
  ...cases('a = TRUE', [{ a: 'True' }, 'TRUE'], [{ a: 'yes' }, 'FALSE']),
  ...cases('a = FALSE', [{ a: 'xyz' }, 'TRUE']),
  ...cases('TRUE = a', [{ a: 'true' }, 'ERROR']),
  ...cases('(a > 1) = TRUE', [{ a: '2' }, 'TRUE'], [{ a: '0' }, 'FALSE']),
  // A bare property as a condition is NULL when missing and FALSE otherwise (never a Boolean).
  ...cases('a', [{ a: 'true' }, 'FALSE'], [{}, 'NULL']),
  ...cases('a AND b', [{ a: 'true', b: 'true' }, 'FALSE']),
  ...cases('NOT a', [{ a: 'x' }, 'TRUE'], [{}, 'NULL']),
  // NOT binds tighter than comparisons: this is (NOT a) = 'x', which never matches.
  ...cases("NOT a = 'x'", [{ a: 'x' }, 'ERROR'], [{ a: 'y' }, 'ERROR'], [{}, 'NULL']),
  ...cases('NOT a IS NULL', [{}, 'TRUE'], [{ a: '1' }, 'FALSE']),

  // Precedence: OR < AND < =, <>, IS < >, <, BETWEEN, IN, CONTAINS < unary.
  ...cases("a = '1' OR b = '1' AND c = '1'",
    [{ a: '1' }, 'TRUE'], [{ b: '1' }, 'NULL'], [{ b: '1', c: '1' }, 'TRUE'], [{ a: '0', b: '1', c: '0' }, 'FALSE']),
  ...cases("(a = '1' OR b = '1') AND c = '1'", [{ a: '1' }, 'NULL'], [{ a: '1', c: '2' }, 'FALSE'], [{ b: '1', c: '1' }, 'TRUE']),
  ...cases("a = '1' AND (b = '1' OR c = '1')", [{ a: '1', c: '1' }, 'TRUE'], [{ a: '2', c: '1' }, 'FALSE']),
  ...cases('NOT (a > 1 AND b > 1)', [{ a: '2', b: '0' }, 'TRUE'], [{ a: '2', b: '2' }, 'FALSE']),

  // CONTAINS / STARTSWITH / ENDSWITH: an empty search string, or a missing or non-string subject,
  // is FALSE, and that holds for the NOT forms too.
  ...cases("value contains 'x'", [{ value: 'axb' }, 'TRUE'], [{ value: 'abb' }, 'FALSE'], [{}, 'FALSE']),
  ...cases("value startswith 'ax'", [{ value: 'axb' }, 'TRUE'], [{ value: 'xab' }, 'FALSE']),
  ...cases("value endswith 'xb'", [{ value: 'axb' }, 'TRUE'], [{ value: 'xba' }, 'FALSE']),
  ...cases("value not contains 'x'", [{ value: 'axb' }, 'FALSE'], [{ value: 'abb' }, 'TRUE'], [{}, 'FALSE']),
  ...cases("value not startswith 'ax'", [{ value: 'axb' }, 'FALSE'], [{ value: 'bax' }, 'TRUE'], [{}, 'FALSE']),
  ...cases("value not endswith 'xb'", [{ value: 'axb' }, 'FALSE'], [{ value: 'xbb' }, 'TRUE'], [{}, 'FALSE']),
  ...cases("value contains ''", [{ value: 'axb' }, 'FALSE']),
  ...cases("value not contains ''", [{ value: 'axb' }, 'FALSE']),
  ...cases("value not startswith ''", [{ value: 'axb' }, 'FALSE']),
  ...cases("NOT (value contains 'x')", [{}, 'TRUE']),
  ...cases("'axb' contains 'x'", [{}, 'TRUE']),
  ...cases("'axb' not endswith 'u'", [{}, 'TRUE']),
  ...cases("' ' startswith ' '", [{}, 'TRUE']),
  ...cases("'axb' contains '.'", [{}, 'FALSE']),
  ...cases("'s' contains '\\'", [{}, 'FALSE']),
  ...cases("5 contains '5'", [{}, 'FALSE']),
  ...cases("(a > 1) contains 't'", [{ a: '2' }, 'FALSE']),
  ...cases("KEYS CONTAINS 'order-7'", [{ KEYS: 'order-6 order-7' }, 'TRUE']),

  // Literals, escapes, comments and whitespace.
  ...cases("TAGS is not null and TAGS='''''tag'''''", [{ TAGS: "''tag''" }, 'TRUE']),
  ...cases("a = 'it''s'", [{ a: "it's" }, 'TRUE']),
  ...cases("a = ''", [{ a: '' }, 'TRUE'], [{ a: ' ' }, 'FALSE']),
  ...cases("a = 'caf\u00e9 \u6f22\u5b57'", [{ a: 'caf\u00e9 \u6f22\u5b57' }, 'TRUE']),
  ...cases('$price_1 >= 10 AND _x = 1', [{ $price_1: '10', _x: '1' }, 'TRUE']),
  ...cases('a = 1 -- a line comment\nAND /* a block\ncomment */ b = 2', [{ a: '1', b: '2' }, 'TRUE'], [{ a: '1', b: '3' }, 'FALSE']),
  ...cases('\ta\r\n=\f1', [{ a: '1' }, 'TRUE']),
  ...cases('a=5and b=1', [{ a: '5', b: '1' }, 'TRUE']),
];

export interface SyntaxErrorCase {
  expression: string;
  /** 0-based offset the error points at. */
  position: number;
  /** A fragment the message must contain. */
  message: string;
}

export const SYNTAX_ERROR_CASES: SyntaxErrorCase[] = [
  { expression: '', position: 0, message: 'empty' },
  { expression: '   ', position: 3, message: 'empty' },
  { expression: 'a >', position: 3, message: 'but found the end of the expression' },
  { expression: "a = 'x", position: 4, message: 'never closed' },
  { expression: 'a == 1', position: 3, message: "found '='" },
  { expression: 'a != 1', position: 2, message: 'use <>' },
  { expression: 'a = "x"', position: 4, message: 'single quotes' },
  { expression: 'a and between 2 and 10', position: 6, message: 'BETWEEN' },
  { expression: ' a between 10 and 0', position: 11, message: 'lower bound first' },
  { expression: 'a between 2.5 and 2', position: 10, message: 'lower bound first' },
  { expression: 'a = NULL', position: 4, message: 'IS NULL' },
  { expression: 'NULL <> a', position: 0, message: 'IS NULL' },
  { expression: "a > 'x'", position: 4, message: 'compares numbers only' },
  { expression: 'a > TRUE', position: 4, message: 'compares numbers only' },
  { expression: 'a > (b > 1)', position: 4, message: 'compares numbers only' },
  { expression: 'a BETWEEN NULL AND 1', position: 10, message: 'cannot be NULL' },
  { expression: "a BETWEEN 'a' AND 'b'", position: 10, message: 'compares numbers only' },
  { expression: "a NOT BETWEEN 1 AND 'b'", position: 20, message: 'compares numbers only' },
  { expression: 'NOT a > 5', position: 0, message: 'NOT (...)' },
  { expression: 'a IN (1, 2)', position: 6, message: 'string literal' },
  { expression: 'a IN ()', position: 6, message: 'string literal' },
  { expression: "a IN 'x'", position: 5, message: "expected '('" },
  { expression: "a IN ('x' 'y')", position: 10, message: "expected ',' or ')'" },
  { expression: "'a' IN ('a')", position: 0, message: 'must be a property name' },
  { expression: "-a NOT IN ('a')", position: 0, message: 'must be a property name' },
  { expression: 'a BETWEEN 1 OR 2', position: 12, message: 'expected AND' },
  { expression: 'a IS 5', position: 5, message: 'NULL or NOT NULL' },
  { expression: 'a IS NOT TRUE', position: 9, message: 'NULL after IS NOT' },
  { expression: '(a = 1', position: 6, message: "close the '('" },
  { expression: "'x'", position: 0, message: 'not a condition' },
  { expression: '5', position: 0, message: 'not a condition' },
  { expression: '-a', position: 0, message: 'not a condition' },
  { expression: 'a = 1 AND 5', position: 10, message: 'not a condition' },
  { expression: 'TRUE = 1', position: 0, message: 'cannot be compared' },
  { expression: 'a > 100000000000000000000000', position: 4, message: '64-bit range' },
  { expression: 'a > 1e400', position: 4, message: 'double range' },
  { expression: 'a.b = 1', position: 1, message: 'property names' },
  { expression: 'a = 1 /* x', position: 6, message: "never closed with '*/'" },
  { expression: 'a CONTAINS x', position: 11, message: 'string literal' },
  { expression: 'a NOT CONTAINS 123', position: 15, message: 'string literal' },
  { expression: "'axb' contains ", position: 15, message: 'string literal' },
  { expression: 'in = 1', position: 0, message: 'reserved word' },
  { expression: 'a = 1 AND', position: 9, message: 'end of the expression' },
  { expression: 'a = 1\n  AND b ~ 2', position: 14, message: 'line 2, column 9' },
  { expression: 'a = #', position: 4, message: 'unexpected character' },
  { expression: 'a\u00a0= 1', position: 1, message: 'unexpected character' },
  // RocketMQ's parser stops at the first token that cannot continue the expression and ignores the
  // rest, so it accepts these as "a = 1", "a = 0" and "a"; Tern refuses text it would not evaluate.
  { expression: 'a = 1 b = 2', position: 6, message: 'join conditions with AND or OR' },
  { expression: 'a = 007', position: 5, message: 'after a complete condition' },
  { expression: 'a = 1)', position: 5, message: 'after a complete condition' },
  { expression: "a LIKE 'x'", position: 2, message: 'after a complete condition' },
];
