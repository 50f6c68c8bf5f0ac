import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from './debounce.js';

describe('Debouncer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = () => {
    const fired: Array<[string, number]> = [];
    const d = new Debouncer((key) => fired.push([key, Date.now()]), { trailingMs: 100, maxWaitMs: 1000 });
    return { d, fired };
  };

  it('fires once after a burst goes quiet', () => {
    const { d, fired } = make();
    const start = Date.now();
    for (let i = 0; i < 1000; i++) d.notify('shop');
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['shop', start + 100]]);
    expect(d.size).toBe(0);
  });

  it('fires once per maxWait under steady churn: 1,000 changes over 3 s, 3 fires', () => {
    const { d, fired } = make();
    for (let i = 0; i < 1000; i++) {
      d.notify('shop');
      vi.advanceTimersByTime(3);
    }
    vi.advanceTimersByTime(1000);
    expect(fired.length).toBe(3);
  });

  it('keeps keys apart', () => {
    const { d, fired } = make();
    d.notify('a');
    vi.advanceTimersByTime(50);
    d.notify('b');
    vi.advanceTimersByTime(200);
    expect(fired.map(([k]) => k)).toEqual(['a', 'b']);
  });

  it('fires again for a change after the previous fire', () => {
    const { d, fired } = make();
    d.notify('a');
    vi.advanceTimersByTime(100);
    d.notify('a');
    vi.advanceTimersByTime(100);
    expect(fired.length).toBe(2);
  });

  it('drops pending keys on cancel', () => {
    const { d, fired } = make();
    d.notify('a');
    d.cancel();
    vi.advanceTimersByTime(2000);
    expect(fired).toEqual([]);
  });
});
