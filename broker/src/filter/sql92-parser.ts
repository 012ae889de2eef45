/**
 * Lexer and recursive-descent parser for the SQL92 subset RocketMQ accepts in subscription filters
 * (the grammar of its SelectorParser.jj). The tree keeps the shape RocketMQ builds, because its
 * evaluation quirks depend on it: NOT binds tighter than comparisons, a bare property becomes a
 * boolean cast, and the compile-time operand checks look at literals, not at values.
 */

export type SqlNumber =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'long'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number };

export type SqlLiteral =
  | SqlNumber
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

export type OrderingOperator = '>' | '>=' | '<' | '<=';
export type StringMatchOperator = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

export type SqlNode =
  | { readonly kind: 'literal'; readonly literal: SqlLiteral }
  | { readonly kind: 'property'; readonly name: string }
  /** Unary minus; yields null unless its operand is a number. */
  | { readonly kind: 'negate'; readonly operand: SqlNode }
  /** A property used where a boolean is needed: null stays null, any other string is false. */
  | { readonly kind: 'booleanCast'; readonly operand: SqlNode }
  | { readonly kind: 'not'; readonly operand: SqlNode }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly SqlNode[] }
  | { readonly kind: 'equal'; readonly negated: boolean; readonly left: SqlNode; readonly right: SqlNode }
  | { readonly kind: 'ordering'; readonly operator: OrderingOperator; readonly left: SqlNode; readonly right: SqlNode }
  | { readonly kind: 'isNull'; readonly negated: boolean; readonly operand: SqlNode }
  | { readonly kind: 'between'; readonly negated: boolean; readonly operand: SqlNode; readonly low: SqlNode; readonly high: SqlNode }
  | { readonly kind: 'in'; readonly negated: boolean; readonly property: string; readonly values: readonly string[] }
  | { readonly kind: 'stringMatch'; readonly operator: StringMatchOperator; readonly negated: boolean; readonly operand: SqlNode; readonly search: string };

/** A filter expression that cannot be compiled; `position` is the 0-based offset of the offending text. */
export class SqlFilterSyntaxError extends Error {
  readonly expression: string;
  readonly position: number;

  constructor(expression: string, position: number, problem: string) {
    super(`invalid SQL92 filter at ${describePosition(expression, position)}: ${problem}`);
    this.name = 'SqlFilterSyntaxError';
    this.expression = expression;
    this.position = position;
  }
}

function describePosition(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  const column = position - lineStart + 1;
  return line === 1 ? `column ${column}` : `line ${line}, column ${column}`;
}

// ---------------------------------------------------------------------------------------------
// Lexer

const KEYWORDS = new Set([
  'NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH',
]);

type TokenKind = 'keyword' | 'identifier' | 'decimal' | 'float' | 'string' | 'symbol' | 'end';

interface Token {
  kind: TokenKind;
  /** Upper-cased keyword, decoded string literal, identifier or number text, or the symbol itself. */
  text: string;
  start: number;
  end: number;
}

const DECIMAL_LITERAL = /0|[1-9][0-9]*[lL]?/y;
const FLOAT_LITERALS = [
  /[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?/y,
  /\.[0-9]+(?:[eE][+-]?[0-9]+)?/y,
  /[0-9]+[eE][+-]?[0-9]+/y,
];
const IDENTIFIER = /[a-zA-Z_$][a-zA-Z0-9_$]*/y;
const SYMBOLS = ['<>', '<=', '>=', '=', '<', '>', '(', ')', ',', '+', '-'];
// The grammar's only whitespace; anything else between tokens is an error, as in RocketMQ.
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\f']);

function matchAt(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  const m = re.exec(text);
  return m === null ? 0 : m[0].length;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const fail = (at: number, problem: string): never => {
    throw new SqlFilterSyntaxError(text, at, problem);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.has(c)) {
      i++;
      continue;
    }
    if (text.startsWith('--', i)) {
      // RocketMQ wants a line break after a line comment; ending the text is accepted here too.
      const nl = text.slice(i).search(/[\r\n]/);
      i = nl < 0 ? text.length : i + nl + 1;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) fail(i, "comment opened with '/*' is never closed with '*/'");
      i = close + 2;
      continue;
    }
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) fail(i, "string literal is never closed (write '' for a quote inside a string)");
        if (text[j] === "'") {
          if (text[j + 1] !== "'") break;
          value += "'";
          j += 2;
        } else {
          value += text[j];
          j++;
        }
      }
      tokens.push({ kind: 'string', text: value, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if ((c >= '0' && c <= '9') || c === '.') {
      const decimal = matchAt(DECIMAL_LITERAL, text, i);
      const float = Math.max(...FLOAT_LITERALS.map((re) => matchAt(re, text, i)));
      if (decimal === 0 && float === 0) {
        fail(i, i > 0 && /[a-zA-Z0-9_$]/.test(text[i - 1]!)
          ? "property names may contain only letters, digits, '_' and '$'"
          : "'.' must be followed by digits, as in .5");
      }
      const kind = float > decimal ? 'float' : 'decimal';
      const len = Math.max(float, decimal);
      tokens.push({ kind, text: text.slice(i, i + len), start: i, end: i + len });
      i += len;
      continue;
    }
    const idLen = matchAt(IDENTIFIER, text, i);
    if (idLen > 0) {
      const word = text.slice(i, i + idLen);
      const upper = word.toUpperCase();
      const kind = KEYWORDS.has(upper) ? 'keyword' : 'identifier';
      tokens.push({ kind, text: kind === 'keyword' ? upper : word, start: i, end: i + idLen });
      i += idLen;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol === undefined) {
      const hint = c === '"' ? ' (string literals use single quotes)'
        : c === '!' ? " (use <> for 'not equal' and NOT for negation)"
        : '';
      fail(i, `unexpected character ${JSON.stringify(c)}${hint}`);
    }
    tokens.push({ kind: 'symbol', text: symbol!, start: i, end: i + symbol!.length });
    i += symbol!.length;
  }
  tokens.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

/** Deeper trees than this are refused so that neither parsing nor evaluation can exhaust the stack. */
const MAX_DEPTH = 128;

const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = (1n << 63n) - 1n;

/** Parses a RocketMQ SQL92 filter expression; throws SqlFilterSyntaxError. */
export function parseSql92(expression: string): SqlNode {
  return new Sql92Parser(expression).parseAll();
}

class Sql92Parser {
  private readonly text: string;
  private readonly tokens: Token[];
  private index = 0;
  private readonly depths = new WeakMap<SqlNode, number>();
  private nesting = 0;

  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  parseAll(): SqlNode {
    if (this.peek().kind === 'end') throw this.error(this.peek(), 'the expression is empty');
    const start = this.peek();
    const node = this.orExpression();
    const next = this.peek();
    if (next.kind !== 'end') {
      throw this.error(next, `unexpected ${describe(next)} after a complete condition; join conditions with AND or OR`);
    }
    return this.asBoolean(node, start);
  }

  // or := and (OR and)*
  private orExpression(): SqlNode {
    return this.logicChain('OR', () => this.andExpression());
  }

  // and := equality (AND equality)*
  private andExpression(): SqlNode {
    return this.logicChain('AND', () => this.equalityExpression());
  }

  private logicChain(keyword: 'AND' | 'OR', operand: () => SqlNode): SqlNode {
    const firstToken = this.peek();
    const first = operand();
    if (!this.isKeyword(this.peek(), keyword)) return first;
    const operands = [this.asBoolean(first, firstToken)];
    while (this.isKeyword(this.peek(), keyword)) {
      this.index++;
      const token = this.peek();
      operands.push(this.asBoolean(operand(), token));
    }
    return this.node({ kind: keyword === 'AND' ? 'and' : 'or', operands }, operands, firstToken);
  }

  // equality := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
  private equalityExpression(): SqlNode {
    const startToken = this.peek();
    let left = this.comparisonExpression();
    for (;;) {
      const token = this.peek();
      if (this.isSymbol(token, '=') || this.isSymbol(token, '<>')) {
        this.index++;
        const rightToken = this.peek();
        const right = this.comparisonExpression();
        this.checkEqualityOperand(left, startToken, token.text);
        this.checkEqualityOperand(right, rightToken, token.text);
        if (left.kind === 'literal' && right.kind === 'literal' && left.literal.type === 'boolean' && right.literal.type !== 'boolean') {
          throw this.error(startToken, `a boolean literal cannot be compared with ${describeLiteral(right.literal)}`);
        }
        left = this.node({ kind: 'equal', negated: token.text === '<>', left, right }, [left, right], token);
      } else if (this.isKeyword(token, 'IS')) {
        this.index++;
        const negated = this.isKeyword(this.peek(), 'NOT');
        if (negated) this.index++;
        const nullToken = this.peek();
        if (!this.isKeyword(nullToken, 'NULL')) {
          throw this.error(nullToken, `expected ${negated ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS'} but found ${describe(nullToken)}`);
        }
        this.index++;
        left = this.node({ kind: 'isNull', negated, operand: left }, [left], token);
      } else {
        return left;
      }
    }
  }

  // comparison := unary ( ('>'|'>='|'<'|'<=') unary | [NOT] (CONTAINS|STARTSWITH|ENDSWITH) string
  //               | [NOT] BETWEEN unary AND unary | [NOT] IN '(' string (',' string)* ')' )*
  private comparisonExpression(): SqlNode {
    const startToken = this.peek();
    let left = this.unaryExpression();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'symbol' && (token.text === '>' || token.text === '>=' || token.text === '<' || token.text === '<=')) {
        this.index++;
        const rightToken = this.peek();
        const right = this.unaryExpression();
        this.checkOrderingOperand(left, startToken, token.text);
        this.checkOrderingOperand(right, rightToken, token.text);
        left = this.node({ kind: 'ordering', operator: token.text, left, right }, [left, right], token);
        continue;
      }
      let negated = false;
      let operatorToken = token;
      if (this.isKeyword(token, 'NOT')) {
        const after = this.tokens[this.index + 1]!;
        if (after.kind !== 'keyword' || !['CONTAINS', 'STARTSWITH', 'ENDSWITH', 'BETWEEN', 'IN'].includes(after.text)) return left;
        negated = true;
        operatorToken = after;
      } else if (token.kind !== 'keyword') {
        return left;
      }
      const op = operatorToken.text;
      if (op === 'CONTAINS' || op === 'STARTSWITH' || op === 'ENDSWITH') {
        this.index += negated ? 2 : 1;
        const search = this.expectString(`after ${negated ? 'NOT ' : ''}${op}`);
        left = this.node({ kind: 'stringMatch', operator: op, negated, operand: left, search }, [left], token);
      } else if (op === 'BETWEEN') {
        this.index += negated ? 2 : 1;
        left = this.between(left, startToken, negated, token);
      } else if (op === 'IN') {
        this.index += negated ? 2 : 1;
        if (left.kind !== 'property') {
          throw this.error(startToken, `the left side of ${negated ? 'NOT IN' : 'IN'} must be a property name`);
        }
        left = this.node({ kind: 'in', negated, property: left.name, values: this.inList(negated) }, [left], token);
      } else {
        return left;
      }
    }
  }

  private between(operand: SqlNode, operandToken: Token, negated: boolean, at: Token): SqlNode {
    const keyword = negated ? 'NOT BETWEEN' : 'BETWEEN';
    const lowToken = this.peek();
    const low = this.unaryExpression();
    const andToken = this.peek();
    if (!this.isKeyword(andToken, 'AND')) throw this.error(andToken, `expected AND in '${keyword} low AND high' but found ${describe(andToken)}`);
    this.index++;
    const highToken = this.peek();
    const high = this.unaryExpression();
    if (!negated && low.kind === 'literal' && high.kind === 'literal') {
      // RocketMQ checks the range only when both bounds are plain literals (a signed bound is not one).
      if (low.literal.type === 'null' || high.literal.type === 'null') throw this.error(lowToken, 'BETWEEN bounds cannot be NULL');
      if (isNumber(low.literal) && isNumber(high.literal) && compareNumberLiterals(high.literal, low.literal) < 0) {
        throw this.error(lowToken, `BETWEEN needs the lower bound first: ${literalText(low.literal)} is greater than ${literalText(high.literal)}`);
      }
    }
    this.checkOrderingOperand(operand, operandToken, keyword);
    this.checkOrderingOperand(low, lowToken, keyword);
    this.checkOrderingOperand(high, highToken, keyword);
    return this.node({ kind: 'between', negated, operand, low, high }, [operand, low, high], at);
  }

  private inList(negated: boolean): string[] {
    const keyword = negated ? 'NOT IN' : 'IN';
    const open = this.peek();
    if (!this.isSymbol(open, '(')) throw this.error(open, `expected '(' after ${keyword} but found ${describe(open)}`);
    this.index++;
    const values = [this.expectString(`in the ${keyword} list (only string literals are allowed)`)];
    for (;;) {
      const token = this.peek();
      if (this.isSymbol(token, ')')) {
        this.index++;
        return values;
      }
      if (!this.isSymbol(token, ',')) throw this.error(token, `expected ',' or ')' in the ${keyword} list but found ${describe(token)}`);
      this.index++;
      values.push(this.expectString(`in the ${keyword} list (only string literals are allowed)`));
    }
  }

  // unary := '+' unary | '-' unary | NOT unary | primary
  private unaryExpression(): SqlNode {
    const token = this.peek();
    if (++this.nesting > MAX_DEPTH) throw this.error(token, `the expression nests deeper than ${MAX_DEPTH} levels`);
    try {
      if (this.isSymbol(token, '+')) {
        this.index++;
        return this.unaryExpression();
      }
      if (this.isSymbol(token, '-')) {
        this.index++;
        const operand = this.unaryExpression();
        return this.node({ kind: 'negate', operand }, [operand], token);
      }
      if (this.isKeyword(token, 'NOT')) {
        this.index++;
        const operandToken = this.peek();
        const operand = this.asBoolean(this.unaryExpression(), operandToken);
        return this.node({ kind: 'not', operand }, [operand], token);
      }
      return this.primaryExpression();
    } finally {
      this.nesting--;
    }
  }

  // primary := literal | identifier | '(' or ')'
  private primaryExpression(): SqlNode {
    const token = this.peek();
    switch (token.kind) {
      case 'string':
        this.index++;
        return { kind: 'literal', literal: { type: 'string', value: token.text } };
      case 'decimal':
        this.index++;
        return { kind: 'literal', literal: this.decimalLiteral(token) };
      case 'float':
        this.index++;
        return { kind: 'literal', literal: this.floatLiteral(token) };
      case 'identifier':
        this.index++;
        return { kind: 'property', name: token.text };
      case 'keyword':
        if (token.text === 'TRUE' || token.text === 'FALSE') {
          this.index++;
          return { kind: 'literal', literal: { type: 'boolean', value: token.text === 'TRUE' } };
        }
        if (token.text === 'NULL') {
          this.index++;
          return { kind: 'literal', literal: { type: 'null' } };
        }
        break;
      case 'symbol':
        if (token.text === '(') {
          this.index++;
          const inner = this.orExpression();
          const close = this.peek();
          if (!this.isSymbol(close, ')')) throw this.error(close, `expected ')' to close the '(' at ${describePosition(this.text, token.start)} but found ${describe(close)}`);
          this.index++;
          return inner;
        }
        break;
      default:
        break;
    }
    const hint = token.kind === 'keyword' ? ` (${token.text} is a reserved word and cannot name a property)` : '';
    throw this.error(token, `expected a property name, a literal or '(' but found ${describe(token)}${hint}`);
  }

  private decimalLiteral(token: Token): SqlLiteral {
    const digits = /[lL]$/.test(token.text) ? token.text.slice(0, -1) : token.text;
    const value = BigInt(digits);
    if (value > LONG_MAX) throw this.error(token, `integer ${token.text} is out of the 64-bit range`);
    // RocketMQ types a literal as Integer when it fits, else Long; the type decides how properties are parsed.
    return value <= BigInt(INT_MAX) ? { type: 'int', value: Number(value) } : { type: 'long', value };
  }

  private floatLiteral(token: Token): SqlLiteral {
    const value = Number(token.text);
    if (!Number.isFinite(value)) throw this.error(token, `number ${token.text} is out of the double range`);
    return { type: 'double', value };
  }

  /** RocketMQ's asBooleanExpression: a bare property is cast, anything else must already be a condition. */
  private asBoolean(node: SqlNode, at: Token): SqlNode {
    if (node.kind === 'property') return this.node({ kind: 'booleanCast', operand: node }, [node], at);
    if (isBooleanNode(node)) return node;
    throw this.error(at, `${describeNode(node)} is not a condition; compare it with something (for example = or >)`);
  }

  private checkEqualityOperand(node: SqlNode, at: Token, operator: string): void {
    if (node.kind === 'literal' && node.literal.type === 'null') {
      throw this.error(at, `NULL cannot be compared with ${operator}; use IS NULL or IS NOT NULL`);
    }
  }

  /** >, >=, <, <= and BETWEEN compare numbers only: literals must be numeric and conditions are refused. */
  private checkOrderingOperand(node: SqlNode, at: Token, operator: string): void {
    if (node.kind === 'not') {
      throw this.error(at, `NOT applies only to the value right after it, so it cannot be used with ${operator}; put the whole condition in parentheses: NOT (...)`);
    }
    if (node.kind === 'literal' ? !isNumber(node.literal) : isBooleanNode(node)) {
      throw this.error(at, `${describeNode(node)} cannot be used with ${operator}, which compares numbers only`);
    }
  }

  private expectString(where: string): string {
    const token = this.peek();
    if (token.kind !== 'string') throw this.error(token, `expected a string literal in single quotes ${where} but found ${describe(token)}`);
    this.index++;
    return token.text;
  }

  private node(node: SqlNode, children: readonly SqlNode[], at: Token): SqlNode {
    let depth = 0;
    for (const child of children) depth = Math.max(depth, this.depths.get(child) ?? 1);
    if (depth + 1 > MAX_DEPTH) throw this.error(at, `the expression nests deeper than ${MAX_DEPTH} levels`);
    this.depths.set(node, depth + 1);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'keyword' && token.text === keyword;
  }

  private isSymbol(token: Token, symbol: string): boolean {
    return token.kind === 'symbol' && token.text === symbol;
  }

  private error(token: Token, problem: string): SqlFilterSyntaxError {
    return new SqlFilterSyntaxError(this.text, token.start, problem);
  }
}

function isNumber(literal: SqlLiteral): literal is SqlNumber {
  return literal.type === 'int' || literal.type === 'long' || literal.type === 'double';
}

/** Both bounds are unsigned literals here, so no NaN or negative zero can occur. */
function compareNumberLiterals(a: SqlNumber, b: SqlNumber): number {
  if (a.type === 'double' || b.type === 'double') return Math.sign(Number(a.value) - Number(b.value));
  const x = BigInt(a.value);
  const y = BigInt(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Nodes RocketMQ types as BooleanExpression. */
function isBooleanNode(node: SqlNode): boolean {
  switch (node.kind) {
    case 'literal':
      return node.literal.type === 'boolean' || node.literal.type === 'null';
    case 'property':
    case 'negate':
      return false;
    default:
      return true;
  }
}

function literalText(literal: SqlLiteral): string {
  switch (literal.type) {
    case 'string':
      return `'${literal.value.replaceAll("'", "''")}'`;
    case 'null':
      return 'NULL';
    case 'boolean':
      return literal.value ? 'TRUE' : 'FALSE';
    case 'long':
      return `${literal.value}L`;
    default:
      return String(literal.value);
  }
}

function describeLiteral(literal: SqlLiteral): string {
  return literal.type === 'string' ? `the string ${literalText(literal)}` : literalText(literal);
}

function describeNode(node: SqlNode): string {
  switch (node.kind) {
    case 'literal':
      return describeLiteral(node.literal);
    case 'property':
      return `property ${node.name}`;
    case 'negate':
      return 'a negated value';
    default:
      return 'a condition';
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the expression';
    case 'string':
      return `the string '${token.text.replaceAll("'", "''")}'`;
    case 'keyword':
      return token.text;
    default:
      return `'${token.text}'`;
  }
}
