import { parseTagExpression, SUBSCRIBE_ALL, type ExpressionType } from '../filter/index.ts';
import type { SubscriptionData } from '../protocol/index.ts';

export { SUBSCRIBE_ALL, type ExpressionType };

/**
 * A subscription as heartbeats carry it. For TAG expressions `tagsSet` holds the tags and `codeSet`
 * their Java String.hashCode (what the broker compares with ConsumeQueue tag codes).
 */
export function buildSubscription(topic: string, expression: string | undefined, type: ExpressionType = 'TAG'): SubscriptionData {
  const text = (expression ?? '').trim();
  if (type === 'SQL92') {
    if (text === '') throw new Error(`subscription to ${topic}: an SQL92 expression cannot be empty`);
    return { topic, subString: text, tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'SQL92', classFilterMode: false };
  }
  if (text === '' || text === SUBSCRIBE_ALL) {
    return { topic, subString: SUBSCRIBE_ALL, tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'TAG', classFilterMode: false };
  }
  const { tagsSet, codeSet } = parseTagExpression(text);
  return {
    topic,
    subString: text,
    tagsSet,
    codeSet,
    subVersion: Date.now(),
    expressionType: 'TAG',
    classFilterMode: false,
  };
}

/**
 * The client-side re-check after the broker's hash-code filter (two tags may share a hash).
 * SQL92 subscriptions are filtered by the broker only.
 */
export function matchesSubscription(sub: SubscriptionData, tags: string | undefined): boolean {
  if (sub.expressionType !== 'TAG' || sub.tagsSet.length === 0) return true;
  return tags !== undefined && sub.tagsSet.includes(tags);
}
