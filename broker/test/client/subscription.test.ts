import { describe, expect, it } from 'vitest';
import { buildSubscription, matchesSubscription } from '../../src/client/subscription.ts';

describe('subscription expressions', () => {
  it('reads * and empty as everything', () => {
    for (const expr of ['*', '', '  ', undefined]) {
      const sub = buildSubscription('T', expr);
      expect(sub.subString).toBe('*');
      expect(sub.tagsSet).toEqual([]);
      expect(sub.codeSet).toEqual([]);
      expect(matchesSubscription(sub, undefined)).toBe(true);
      expect(matchesSubscription(sub, 'X')).toBe(true);
    }
  });

  it('splits tag lists and hashes them like Java String.hashCode', () => {
    const sub = buildSubscription('T', 'TagA || TagB ||TagA');
    expect(sub.tagsSet).toEqual(['TagA', 'TagB']);
    // "TagA".hashCode() in Java is 2598919 (protocol digest §3.10).
    expect(sub.codeSet).toEqual([2598919, 2598920]);
    expect(sub.expressionType).toBe('TAG');
    expect(matchesSubscription(sub, 'TagB')).toBe(true);
    expect(matchesSubscription(sub, 'TagC')).toBe(false);
    expect(matchesSubscription(sub, undefined)).toBe(false);
  });

  it('keeps SQL92 expressions whole and leaves filtering to the broker', () => {
    const sub = buildSubscription('T', "a > 5 AND b = 'x'", 'SQL92');
    expect(sub.subString).toBe("a > 5 AND b = 'x'");
    expect(sub.expressionType).toBe('SQL92');
    expect(matchesSubscription(sub, 'anything')).toBe(true);
    expect(() => buildSubscription('T', ' ', 'SQL92')).toThrow(/cannot be empty/);
  });
});
