import { describe, expect, it } from 'vitest';
import { WeightedSplit } from './split.js';

function counts(weights: number[], picks: number): number[] {
  const s = new WeightedSplit(weights);
  const out = weights.map(() => 0);
  for (let i = 0; i < picks; i++) {
    const k = s.next();
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('WeightedSplit', () => {
  it('is exactly 90/10 over every 10 requests, from any starting point', () => {
    const s = new WeightedSplit([90, 10]);
    const seq = Array.from({ length: 2000 }, () => s.next());
    for (let start = 0; start + 10 <= seq.length; start += 10) {
      expect(seq.slice(start, start + 10).filter((k) => k === 1)).toHaveLength(1);
    }
  });

  it.each([
    [[90, 10], 2000, [1800, 200]],
    [[50, 50], 10, [5, 5]],
    [[33, 33, 34], 100, [33, 33, 34]],
    [[70, 0, 30], 100, [70, 0, 30]],
    [[100], 7, [7]],
    [[1, 99], 100, [1, 99]],
  ])('%j over %i picks gives %j', (weights, picks, want) => {
    expect(counts(weights, picks)).toEqual(want);
  });

  it('spreads picks: 50/50 alternates', () => {
    const s = new WeightedSplit([50, 50]);
    expect(Array.from({ length: 6 }, () => s.next())).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('has nothing to pick when every weight is 0', () => {
    expect(new WeightedSplit([0, 0]).next()).toBe(-1);
  });
});
