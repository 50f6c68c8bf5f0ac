import { describe, expect, it } from 'vitest';
import { fnv1a, RendezvousHash } from './consistent-hash.js';

const endpoints = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}`);
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

describe('RendezvousHash', () => {
  it('hashes with FNV-1a', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });

  it('sends a key to the same endpoint every time and on every proxy', () => {
    const a = new RendezvousHash(endpoints);
    const b = new RendezvousHash(endpoints);
    for (const k of keys.slice(0, 100)) expect(a.pick(k)).toBe(b.pick(k));
  });

  it('spreads keys evenly: every endpoint within ±20% of its share', () => {
    const h = new RendezvousHash(endpoints);
    const counts = new Array<number>(endpoints.length).fill(0);
    for (const k of keys) counts[h.pick(k)] = (counts[h.pick(k)] ?? 0) + 1;
    for (const c of counts) {
      expect(c).toBeGreaterThan(800);
      expect(c).toBeLessThan(1200);
    }
  });

  it('moves only the keys of an endpoint that leaves', () => {
    const before = new RendezvousHash(endpoints);
    const remaining = endpoints.filter((e) => e !== '10.0.0.4');
    const after = new RendezvousHash(remaining);
    for (const k of keys) {
      const was = endpoints[before.pick(k)];
      const now = remaining[after.pick(k)];
      if (was !== '10.0.0.4') expect(now).toBe(was);
    }
  });

  it('has nothing to pick from no endpoints', () => {
    expect(new RendezvousHash([]).pick('x')).toBe(-1);
  });
});
