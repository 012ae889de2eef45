import { describe, expect, it } from 'vitest';
import { allocateAveragely, allocateByCircle } from '../../src/client/allocate.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('AllocateMessageQueueAveragely', () => {
  // [queues, consumers, expected share of each consumer]
  const cases: [number, number, number[][]][] = [
    [8, 1, [[0, 1, 2, 3, 4, 5, 6, 7]]],
    [8, 2, [[0, 1, 2, 3], [4, 5, 6, 7]]],
    [8, 3, [[0, 1, 2], [3, 4, 5], [6, 7]]],
    [7, 2, [[0, 1, 2, 3], [4, 5, 6]]],
    [10, 4, [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]],
    [5, 5, [[0], [1], [2], [3], [4]]],
    [3, 5, [[0], [1], [2], [], []]],
    [1, 2, [[0], []]],
    [0, 3, [[], [], []]],
  ];
  for (const [queues, consumers, expected] of cases) {
    it(`${queues} queues over ${consumers} consumers`, () => {
      const shares = ids(consumers).map((id) => allocateAveragely(id, range(queues), ids(consumers)));
      expect(shares).toEqual(expected);
    });
  }

  it('gives nothing to a consumer the broker does not list', () => {
    expect(allocateAveragely('stranger', range(8), ids(2))).toEqual([]);
  });

  it('always partitions the queues into consecutive blocks differing by at most one', () => {
    for (let q = 0; q <= 40; q++) {
      for (let c = 1; c <= 12; c++) {
        const shares = ids(c).map((id) => allocateAveragely(id, range(q), ids(c)));
        expect(shares.flat()).toEqual(range(q));
        const sizes = shares.map((s) => s.length).filter((n) => n > 0);
        if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('AllocateMessageQueueAveragelyByCircle', () => {
  it('deals queues out like cards', () => {
    expect(ids(3).map((id) => allocateByCircle(id, range(8), ids(3)))).toEqual([[0, 3, 6], [1, 4, 7], [2, 5]]);
  });
});
