import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/harness/seeded-random.ts';
import { TimeWheel } from '../../src/timer/time-wheel.ts';

/** Advances one slot at a time to `until`, recording when each slot came out. */
function runStepwise(wheel: TimeWheel, until: number): Map<number, number> {
  const outAt = new Map<number, number>();
  for (let s = wheel.currentSlot + 1; s <= until; s++) for (const d of wheel.advance(s)) outAt.set(d, s);
  return outAt;
}

describe('TimeWheel', () => {
  it('gives every slot out exactly when the clock reaches it, across levels, stepping slot by slot', () => {
    const wheel = new TimeWheel(0, 4);
    const slots = [1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 4095, 4096, 4097];
    for (const s of slots) expect(wheel.add(s)).toBe(true);
    expect(wheel.depth).toBeGreaterThan(4);
    const outAt = runStepwise(wheel, 5000);
    for (const s of slots) expect(outAt.get(s), `slot ${s}`).toBe(s);
    expect(wheel.size).toBe(0);
  });

  it('gives out, ascending, everything passed when the clock jumps, and nothing early (seeded)', () => {
    const seed = Date.now() % 100_000;
    const rnd = new SeededRandom(seed);
    const wheel = new TimeWheel(1000, 8);
    const slots = new Set<number>();
    for (let i = 0; i < 3000; i++) {
      const s = 1001 + Math.floor(rnd.next() * 10 ** (1 + rnd.next() * 6));
      if (!slots.has(s)) {
        slots.add(s);
        expect(wheel.add(s)).toBe(true);
      }
    }
    const seen = new Set<number>();
    let clock = 1000;
    const last = Math.max(...slots);
    while (clock < last) {
      clock += 1 + Math.floor(rnd.next() * (rnd.next() < 0.1 ? 500_000 : 3000));
      const due = wheel.advance(clock);
      expect(due, `seed ${seed}`).toEqual([...due].sort((a, b) => a - b));
      for (const s of due) {
        expect(s, `seed ${seed}: slot ${s} out at ${clock}`).toBeLessThanOrEqual(clock);
        expect(seen.has(s)).toBe(false);
        seen.add(s);
      }
      // Nothing left in the wheel is due, and earliest() finds the first of what is left.
      const left = wheel.pending();
      if (left.length > 0) expect(left[0], `seed ${seed}`).toBeGreaterThan(clock);
      expect(wheel.earliest(), `seed ${seed}`).toBe(left[0]);
    }
    expect(seen).toEqual(slots);
  });

  it('refuses slots already due (0, the current one, the past): the caller delivers those at once', () => {
    const wheel = new TimeWheel(100);
    expect(wheel.add(0)).toBe(false);
    expect(wheel.add(99)).toBe(false);
    expect(wheel.add(100)).toBe(false);
    expect(wheel.add(101)).toBe(true);
    expect(wheel.advance(100)).toEqual([]);
    expect(wheel.advance(101)).toEqual([101]);
  });

  it('keeps exact level edges apart: a slot at a bucket edge is out at its slot, not with its neighbours', () => {
    const wheel = new TimeWheel(0, 64);
    const edges = [63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 262_145];
    for (const s of edges) wheel.add(s);
    for (const s of edges) {
      expect(wheel.advance(s - 1)).toEqual([]);
      expect(wheel.advance(s)).toEqual([s]);
    }
  });

  it('reaches a year of 1 ms slots (the max delay) with a handful of levels and delivers it on time', () => {
    const start = 1_700_000_000_000;
    const wheel = new TimeWheel(start);
    const year = 366 * 24 * 3600 * 1000;
    wheel.add(start + year);
    wheel.add(start + 1);
    expect(wheel.depth).toBeLessThanOrEqual(7);
    expect(wheel.advance(start + 1)).toEqual([start + 1]);
    expect(wheel.advance(start + year - 1)).toEqual([]);
    expect(wheel.advance(start + year)).toEqual([start + year]);
  });
});
