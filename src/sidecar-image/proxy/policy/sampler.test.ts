import { describe, expect, it } from 'vitest';
import { faultFor, sampled } from './sampler.js';

/** Evenly spread draws: over n calls, exactly floor(n × p / 100) fall under p. */
function sequence(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

describe('sampled', () => {
  it.each([
    [10, 1000, 100],
    [0.5, 1000, 5],
    [33.3, 1000, 333],
    [0, 1000, 0],
    [100, 1000, 1000],
  ])('%f%% over %i requests fires exactly %i times', (percent, n, want) => {
    const random = sequence(n);
    let fired = 0;
    for (let i = 0; i < n; i++) if (sampled(percent, random)) fired++;
    expect(fired).toBe(want);
  });

  it('does not draw at 0% or 100%', () => {
    const random = () => {
      throw new Error('drawn');
    };
    expect(sampled(0, random)).toBe(false);
    expect(sampled(100, random)).toBe(true);
  });
});

describe('faultFor', () => {
  it('draws delay and abort independently over 1000 requests', () => {
    // Two draws per request: the first for the delay, the second for the abort.
    let i = 0;
    const random = () => {
      const k = i++;
      return k % 2 === 0 ? (Math.floor(k / 2) % 1000) / 1000 : ((Math.floor(k / 2) * 7) % 1000) / 1000;
    };
    const seen = { none: 0, delay: 0, abort: 0, delayedAbort: 0 };
    for (let n = 0; n < 1000; n++) {
      const d = faultFor(
        { delay: { delayMs: 50, percent: 20 }, abort: { httpStatus: 503, percent: 10 } },
        random,
      );
      if (d.kind === 'none') seen.none++;
      if (d.kind === 'delay') seen.delay++;
      if (d.kind === 'abort') seen.abort++;
      if (d.kind === 'abort' && d.delayMs === 50) seen.delayedAbort++;
    }
    expect(seen.abort).toBe(100);
    expect(seen.delay + seen.delayedAbort).toBe(200);
    expect(seen.none + seen.delay + seen.abort).toBe(1000);
  });

  it('has no effect without a fault block', () => {
    expect(faultFor(undefined, Math.random)).toEqual({ kind: 'none' });
  });

  it('aborts with the configured status', () => {
    expect(faultFor({ abort: { httpStatus: 418, percent: 100 } }, Math.random)).toEqual({
      kind: 'abort',
      httpStatus: 418,
      delayMs: 0,
    });
  });
});
