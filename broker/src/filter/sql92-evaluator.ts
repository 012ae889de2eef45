/**
 * Compiles a parsed SQL92 filter into closures that evaluate it with RocketMQ's Java semantics:
 * properties are strings, numbers exist only as literals (typed Integer, Long or Double), a string
 * meeting a number is parsed as that number's Java type, null propagates through comparisons and
 * AND/OR/NOT as three-valued logic, and a failed conversion aborts the whole evaluation.
 */
import type { OrderingOperator, SqlLiteral, SqlNode, SqlNumber } from './sql92-parser.ts';

/** A value as RocketMQ's filter sees it: Java null, Boolean, String, or a numeric literal. */
export type SqlValue = null | boolean | string | SqlNumber;

export type MessageProperties = ReadonlyMap<string, string>;

/** Evaluates to a value, or throws SqlEvaluationError where RocketMQ would throw. */
export type SqlEvaluator = (properties: MessageProperties | undefined) => SqlValue;

/** Thrown where RocketMQ's evaluation throws (a property that is not a number, a Boolean cast to String). */
export class SqlEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlEvaluationError';
  }
}

/**
 * The predicate a pull uses: true only when the expression evaluates to TRUE. NULL, a non-boolean
 * result and an evaluation error all mean "not matched", as in RocketMQ's ExpressionMessageFilter.
 */
export function compileSql92(ast: SqlNode): (properties: MessageProperties | undefined) => boolean {
  const evaluate = compileSqlEvaluator(ast);
  return (properties) => {
    try {
      return evaluate(properties) === true;
    } catch {
      return false;
    }
  };
}

/** The three-valued evaluation itself, exposed so tests can tell NULL from FALSE from an error. */
export function compileSqlEvaluator(node: SqlNode): SqlEvaluator {
  switch (node.kind) {
    case 'literal': {
      const value = literalValue(node.literal);
      return () => value;
    }
    case 'property': {
      const name = node.name;
      return (props) => props?.get(name) ?? null;
    }
    case 'negate': {
      const folded = foldNegation(node);
      if (folded !== undefined) return () => folded;
      const operand = compileSqlEvaluator(node.operand);
      // Only literals are numbers, and those were folded above: anything else negates to null.
      return (props) => {
        operand(props);
        return null;
      };
    }
    case 'booleanCast': {
      const operand = compileSqlEvaluator(node.operand);
      return (props) => {
        const v = operand(props);
        return v === null ? null : typeof v === 'boolean' ? v : false;
      };
    }
    case 'not': {
      const operand = compileSqlEvaluator(node.operand);
      return (props) => {
        const v = asBoolean(operand(props));
        return v === null ? null : !v;
      };
    }
    case 'and':
    case 'or':
      return compileLogic(node.kind, node.operands.map(compileSqlEvaluator));
    case 'equal': {
      const eq = compileEqual(compileSqlEvaluator(node.left), compileSqlEvaluator(node.right));
      return node.negated ? negate3(eq) : eq;
    }
    case 'ordering':
      return compileOrdering(node.operator, compileSqlEvaluator(node.left), compileSqlEvaluator(node.right));
    case 'isNull': {
      const operand = compileSqlEvaluator(node.operand);
      return node.negated ? (props) => operand(props) !== null : (props) => operand(props) === null;
    }
    case 'between': {
      const operand = compileSqlEvaluator(node.operand);
      const low = compileSqlEvaluator(node.low);
      const high = compileSqlEvaluator(node.high);
      // RocketMQ rewrites BETWEEN as (x >= low AND x <= high) and NOT BETWEEN as (x < low OR x > high).
      return node.negated
        ? compileLogic('or', [compileOrdering('<', operand, low), compileOrdering('>', operand, high)])
        : compileLogic('and', [compileOrdering('>=', operand, low), compileOrdering('<=', operand, high)]);
    }
    case 'in': {
      const name = node.property;
      const values = new Set(node.values);
      const negated = node.negated;
      return (props) => {
        const v = props?.get(name);
        return v === undefined ? null : values.has(v) !== negated;
      };
    }
    case 'stringMatch': {
      const { search, negated } = node;
      // An empty search string and a missing or non-string subject are FALSE for the NOT forms too.
      if (search.length === 0) return () => false;
      const operand = compileSqlEvaluator(node.operand);
      const test = node.operator === 'CONTAINS' ? (s: string) => s.includes(search)
        : node.operator === 'STARTSWITH' ? (s: string) => s.startsWith(search)
        : (s: string) => s.endsWith(search);
      return (props) => {
        const v = operand(props);
        return typeof v === 'string' ? test(v) !== negated : false;
      };
    }
  }
}

function literalValue(literal: SqlLiteral): SqlValue {
  switch (literal.type) {
    case 'null':
      return null;
    case 'string':
    case 'boolean':
      return literal.value;
    default:
      return literal;
  }
}

/** A chain of minus signs over a literal is a constant; undefined when the operand is not a literal. */
function foldNegation(node: SqlNode): SqlValue | undefined {
  if (node.kind === 'literal') return literalValue(node.literal);
  if (node.kind !== 'negate') return undefined;
  const inner = foldNegation(node.operand);
  if (inner === undefined) return undefined;
  if (inner === null || typeof inner !== 'object') return null;
  switch (inner.type) {
    case 'int':
      return { type: 'int', value: -inner.value | 0 };
    case 'long':
      return { type: 'long', value: BigInt.asIntN(64, -inner.value) };
    case 'double':
      return { type: 'double', value: -inner.value };
  }
}

/** The Boolean cast RocketMQ applies to AND/OR/NOT operands. */
function asBoolean(v: SqlValue): boolean | null {
  if (v === null || typeof v === 'boolean') return v;
  throw new SqlEvaluationError(`a ${describeValue(v)} is not a boolean`);
}

function negate3(evaluate: SqlEvaluator): SqlEvaluator {
  return (props) => {
    const v = asBoolean(evaluate(props));
    return v === null ? null : !v;
  };
}

/** AND/OR with short-circuit; a null operand makes the result null unless another operand decides it. */
function compileLogic(kind: 'and' | 'or', operands: SqlEvaluator[]): SqlEvaluator {
  const decisive = kind === 'or';
  return (props) => {
    let sawNull = false;
    for (const operand of operands) {
      const v = asBoolean(operand(props));
      if (v === decisive) return decisive;
      if (v === null) sawNull = true;
    }
    return sawNull ? null : !decisive;
  };
}

function compileEqual(left: SqlEvaluator, right: SqlEvaluator): SqlEvaluator {
  return (props) => {
    const lv = left(props);
    const rv = right(props);
    // Asymmetric in RocketMQ: a null left side gives NULL, a null right side gives FALSE.
    if (lv === null) return rv === null ? true : null;
    if (rv === null) return false;
    return javaCompare(lv, rv) === 0;
  };
}

function compileOrdering(operator: OrderingOperator, left: SqlEvaluator, right: SqlEvaluator): SqlEvaluator {
  const accept = operator === '>' ? (c: number) => c > 0
    : operator === '>=' ? (c: number) => c >= 0
    : operator === '<' ? (c: number) => c < 0
    : (c: number) => c <= 0;
  return (props) => {
    const lv = left(props);
    if (lv === null) return null;
    const rv = right(props);
    if (rv === null) return null;
    if (typeof lv === 'string' && typeof rv === 'string') {
      return accept(compareDouble(parseJavaDouble(lv), parseJavaDouble(rv)));
    }
    return accept(javaCompare(lv, rv));
  };
}

/**
 * Java's Comparable ordering between two non-null values after RocketMQ's conversions: a String
 * meeting a number is parsed as that number's type, Integer widens to Long and either to Double,
 * a String meeting a Boolean is read with Boolean.valueOf, and other mixed pairs rank as "less".
 */
export function javaCompare(lv: NonNullable<SqlValue>, rv: NonNullable<SqlValue>): number {
  if (typeof lv === 'string') {
    if (typeof rv === 'string') return lv === rv ? 0 : lv < rv ? -1 : 1;
    if (typeof rv === 'boolean') return compareBoolean(lv.length === 4 && lv.toLowerCase() === 'true', rv);
    return compareParsed(lv, rv, 1);
  }
  if (typeof lv === 'boolean') {
    if (typeof rv === 'boolean') return compareBoolean(lv, rv);
    // RocketMQ casts the Boolean itself to String here, which throws ClassCastException.
    if (typeof rv === 'string') throw new SqlEvaluationError('a Boolean cannot be compared with a String');
    return -1;
  }
  if (typeof rv === 'string') return compareParsed(rv, lv, -1);
  if (typeof rv === 'boolean') return -1;
  return compareNumbers(lv, rv);
}

/** Parses `s` as `n`'s Java type and compares; `sign` is 1 when `s` is the left operand. */
function compareParsed(s: string, n: SqlNumber, sign: 1 | -1): number {
  switch (n.type) {
    case 'int': {
      const x = parseJavaInt(s);
      return sign * (x < n.value ? -1 : x > n.value ? 1 : 0);
    }
    case 'long': {
      const x = parseJavaLong(s);
      return sign * (x < n.value ? -1 : x > n.value ? 1 : 0);
    }
    case 'double':
      return sign * compareDouble(parseJavaDouble(s), n.value);
  }
}

function compareNumbers(a: SqlNumber, b: SqlNumber): number {
  if (a.type === 'double' || b.type === 'double') return compareDouble(Number(a.value), Number(b.value));
  if (a.type === 'int' && b.type === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  const x = BigInt(a.value);
  const y = BigInt(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareBoolean(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? 1 : -1;
}

/** Double.compare: -0.0 sorts before 0.0, NaN equals itself and sorts after everything. */
function compareDouble(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const an = Object.is(a, -0);
    return an === Object.is(b, -0) ? 0 : an ? -1 : 1;
  }
  const aNaN = Number.isNaN(a);
  return aNaN === Number.isNaN(b) ? 0 : aNaN ? 1 : -1;
}

const ASCII_INTEGER = /^[+-]?[0-9]+$/;
const DECIMAL_DIGIT = /^\p{Nd}$/u;
// Double.valueOf's decimal forms; hexadecimal floating literals are not accepted here.
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?)$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(1n << 63n);
const LONG_MAX = (1n << 63n) - 1n;

/** Integer.valueOf: optional sign and digits, no spaces, within 32 bits. */
function parseJavaInt(s: string): number {
  const digits = javaIntegerText(s);
  if (digits !== undefined) {
    const v = Number(digits);
    if (v >= INT_MIN && v <= INT_MAX) return v;
  }
  throw new SqlEvaluationError(`"${s}" is not an int`);
}

/** Long.valueOf: optional sign and digits, no spaces, within 64 bits. */
function parseJavaLong(s: string): bigint {
  const digits = javaIntegerText(s);
  if (digits !== undefined) {
    const v = BigInt(digits);
    if (v >= LONG_MIN && v <= LONG_MAX) return v;
  }
  throw new SqlEvaluationError(`"${s}" is not a long`);
}

/**
 * The text as ASCII digits with its sign, or undefined if Java's parseInt would refuse it. Java
 * reads any BMP decimal digit (Character.digit), so "\u0663" is 3; such digits come in runs of ten.
 */
function javaIntegerText(s: string): string | undefined {
  if (ASCII_INTEGER.test(s)) return s;
  if (s === '') return undefined;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (i === 0 && (c === '+' || c === '-') && s.length > 1) {
      out += c;
    } else if (c >= '0' && c <= '9') {
      out += c;
    } else if (DECIMAL_DIGIT.test(c)) {
      let zero = s.charCodeAt(i);
      while (DECIMAL_DIGIT.test(String.fromCharCode(zero - 1))) zero--;
      out += String((s.charCodeAt(i) - zero) % 10);
    } else {
      return undefined;
    }
  }
  return out;
}

/** Double.valueOf: surrounding control characters and spaces are ignored, as is an f/d suffix. */
function parseJavaDouble(s: string): number {
  const t = trimJava(s);
  if (JAVA_DOUBLE.test(t)) {
    return Number(/[fFdD]$/.test(t) ? t.slice(0, -1) : t);
  }
  throw new SqlEvaluationError(`"${s}" is not a double`);
}

/** String.trim: strips every character up to U+0020 from both ends. */
function trimJava(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function describeValue(v: SqlValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return v.type;
}
