import { describe, expect, it } from 'vitest';
import { Balancer } from './balancer.js';

const id = (s: string) => s;

/** A deterministic "random" source that replays the given draws. */
const draws = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

/** mulberry32: a seeded PRNG, so the spread test is deterministic. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Balancer', () => {
  it('round robin cycles through the endpoints in order', () => {
    const b = new Balancer();
    const got = Array.from({ length: 5 }, () => b.pick(['a', 'b', 'c'], id, 'ROUND_ROBIN')?.target);
    expect(got).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('least request takes the less loaded of two distinct random choices', () => {
    // Draws: i = floor(0 * 3) = 0 (a); j = (0 + 1 + floor(0.5 * 2)) % 3 = 2 (c).
    const b = new Balancer(draws(0, 0.5));
    const first = b.pick(['a', 'b', 'c'], id, 'LEAST_REQUEST');
    expect(first?.target).toBe('a'); // tie: the first choice
    const second = b.pick(['a', 'b', 'c'], id, 'LEAST_REQUEST');
    expect(second?.target).toBe('c'); // a has one in flight, c none
    expect([b.load('a'), b.load('b'), b.load('c')]).toEqual([1, 0, 1]);
    first?.release();
    first?.release(); // idempotent
    expect(b.load('a')).toBe(0);
  });

  it('under load spreads requests so no endpoint runs far ahead', () => {
    const b = new Balancer(seeded(42));
    const held = Array.from({ length: 300 }, () => b.pick(['a', 'b', 'c'], id, 'LEAST_REQUEST'));
    const loads = ['a', 'b', 'c'].map((k) => b.load(k));
    expect(loads.reduce((x, y) => x + y)).toBe(300);
    // Uniform random picks would typically be ~15 apart after 300; two choices keep it tight.
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(3);
    for (const p of held) p?.release();
    expect(['a', 'b', 'c'].map((k) => b.load(k))).toEqual([0, 0, 0]);
  });

  it('has nothing to pick from no endpoints', () => {
    expect(new Balancer().pick([], id, 'LEAST_REQUEST')).toBeUndefined();
  });

  it('random takes one uniform draw', () => {
    const b = new Balancer(draws(0.1, 0.5, 0.99));
    const got = Array.from({ length: 3 }, () => b.pick(['a', 'b', 'c'], id, 'RANDOM')?.target);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('consistent hash sends a key to the same endpoint, and moves only the keys of an endpoint that left', () => {
    const b = new Balancer(draws(0));
    const all = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const first = keys.map((k) => b.pick(all, id, 'CONSISTENT_HASH', k)?.target);
    expect(keys.map((k) => b.pick(all, id, 'CONSISTENT_HASH', k)?.target)).toEqual(first);
    const left = all.filter((e) => e !== '10.0.0.2:80');
    const after = keys.map((k) => b.pick(left, id, 'CONSISTENT_HASH', k)?.target);
    const moved = keys.filter((_, i) => after[i] !== first[i]);
    expect(moved.length).toBe(first.filter((e) => e === '10.0.0.2:80').length);
    expect(new Set(first).size).toBe(4);
  });

  it('consistent hash without a key falls back to least request', () => {
    const b = new Balancer(draws(0, 0));
    expect(b.pick(['a', 'b'], id, 'CONSISTENT_HASH')?.target).toBe('a');
  });
});
