import { describe, expect, it } from 'vitest';
import { SlidingCount } from './sliding-window.js';

describe('SlidingCount', () => {
  it('forgets what fell out of the window, a bucket at a time', () => {
    const c = new SlidingCount(10_000, 10);
    c.add(0, 5);
    c.add(999, 1);
    c.add(4_500, 2);
    expect(c.total(4_500)).toBe(8);
    expect(c.total(9_999)).toBe(8);
    // At 10s the bucket [0s,1s) leaves the window.
    expect(c.total(10_000)).toBe(2);
    expect(c.total(13_999)).toBe(2);
    expect(c.total(14_000)).toBe(0);
  });

  it('reuses a slot for a later bucket without mixing counts', () => {
    const c = new SlidingCount(1_000, 4);
    c.add(0, 3);
    c.add(1_000, 1);
    expect(c.total(1_000)).toBe(1);
  });
});
