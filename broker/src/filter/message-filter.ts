/**
 * Subscription filters as the pull path applies them: a TAG filter tests the tags hash stored in
 * the ConsumeQueue, an SQL92 filter lets every ConsumeQueue entry through and tests the message
 * properties read from the CommitLog.
 */
import { javaStringHash } from '../message/java-string-hash.ts';
import { compileSql92, type MessageProperties } from './sql92-evaluator.ts';
import { parseSql92 } from './sql92-parser.ts';

export type ExpressionType = 'TAG' | 'SQL92';

export interface MessageFilter {
  readonly expressionType: ExpressionType;
  readonly expression: string;
  /** False for TAG filters: the pull path need not decode properties for them. */
  readonly needsProperties: boolean;
  /** The ConsumeQueue test; only the low 32 bits of the stored tags code count, as in RocketMQ. */
  matchTagsCode(tagsCode: number | bigint): boolean;
  /** The CommitLog test; a missing property map means every property is null. */
  matchProperties(properties: MessageProperties | undefined): boolean;
}

export const SUBSCRIBE_ALL = '*';

/**
 * Reads "TagA || TagB" the way RocketMQ's FilterAPI builds subscription data: tags trimmed, empty
 * ones dropped, duplicates removed; codeSet holds their Java String.hashCode. "*" and "" subscribe
 * to everything and yield empty sets.
 */
export function parseTagExpression(expression: string): { tagsSet: string[]; codeSet: number[] } {
  const text = expression.trim();
  if (text === '' || text === SUBSCRIBE_ALL) return { tagsSet: [], codeSet: [] };
  const tags = new Set<string>();
  for (const part of text.split('||')) {
    const tag = part.trim();
    if (tag !== '') tags.add(tag);
  }
  const tagsSet = [...tags];
  return { tagsSet, codeSet: [...new Set(tagsSet.map(javaStringHash))] };
}

/** RocketMQ's broker keeps its last 100 parsed expressions, failures included. */
const CACHE_CAPACITY = 100;
const cache = new Map<string, MessageFilter | Error>();

/**
 * A filter for one subscription, from a cache shared by all consumers. Throws
 * SqlFilterSyntaxError for an SQL92 expression that does not compile (a cached failure is
 * thrown again).
 */
export function compileFilter(expressionType: ExpressionType, expression: string): MessageFilter {
  const key = `${expressionType}\n${expression}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    try {
      entry = buildFilter(expressionType, expression);
    } catch (err) {
      entry = err instanceof Error ? err : new Error(String(err));
    }
    if (cache.size >= CACHE_CAPACITY) cache.delete(cache.keys().next().value!);
  } else {
    cache.delete(key);
  }
  cache.set(key, entry);
  if (entry instanceof Error) throw entry;
  return entry;
}

function buildFilter(expressionType: ExpressionType, expression: string): MessageFilter {
  switch (expressionType) {
    case 'TAG':
      return tagFilter(expression);
    case 'SQL92':
      return sqlFilter(expression);
    default:
      throw new Error(`unknown expression type ${JSON.stringify(expressionType)}; expected TAG or SQL92`);
  }
}

function tagFilter(expression: string): MessageFilter {
  const text = expression.trim();
  const all = text === '' || text === SUBSCRIBE_ALL;
  const codes = new Set(parseTagExpression(text).codeSet);
  return {
    expressionType: 'TAG',
    expression,
    needsProperties: false,
    matchTagsCode: all ? () => true : (tagsCode) => codes.has(low32(tagsCode)),
    matchProperties: () => true,
  };
}

function sqlFilter(expression: string): MessageFilter {
  const matches = compileSql92(parseSql92(expression));
  return {
    expressionType: 'SQL92',
    expression,
    needsProperties: true,
    matchTagsCode: () => true,
    matchProperties: matches,
  };
}

function low32(tagsCode: number | bigint): number {
  return typeof tagsCode === 'bigint' ? Number(BigInt.asIntN(32, tagsCode)) : tagsCode | 0;
}
