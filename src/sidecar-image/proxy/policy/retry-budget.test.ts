import { describe, expect, it } from 'vitest';
import { RetryEngine } from './retry.js';
import { RetryBudget } from './retry-budget.js';

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

describe('RetryBudget arithmetic', () => {
  it.each([
    // percent, minRetriesPerSecond, windowMs, requests → allowance
    [20, 10, 10_000, 0, 100],
    [20, 10, 10_000, 1000, 300],
    [20, 0, 10_000, 9, 1],
    [20, 0, 10_000, 4, 0],
    [50, 0, 1_000, 7, 3],
    [0, 1, 2_500, 1000, 2],
    [100, 0, 10_000, 10, 10],
  ])('%i%% + %i/s over %ims with %i requests allows %i retries', (percent, min, windowMs, n, want) => {
    const c = clock();
    const b = new RetryBudget({ percent, minRetriesPerSecond: min, windowMs }, c.now);
    for (let i = 0; i < n; i++) b.recordRequest();
    expect(b.allowance()).toBe(want);
    let granted = 0;
    while (b.tryRetry()) granted++;
    expect(granted).toBe(want);
    expect(b.exhausted).toBe(1);
  });

  it('gives retries back as they leave the window', () => {
    const c = clock();
    const b = new RetryBudget({ percent: 0, minRetriesPerSecond: 1, windowMs: 2_000 }, c.now);
    expect([b.tryRetry(), b.tryRetry(), b.tryRetry()]).toEqual([true, true, false]);
    c.t = 1_999;
    expect(b.tryRetry()).toBe(false);
    c.t = 2_000;
    expect([b.tryRetry(), b.tryRetry(), b.tryRetry()]).toEqual([true, true, false]);
  });
});

describe('amplification when every endpoint fails', () => {
  it.each([
    // requests per second, seconds, attempts
    [1000, 30, 3],
    [1000, 30, 10],
    [10, 60, 3],
  ])('%i req/s for %i s with %i attempts stays under 1 + percent + reserve', (rps, seconds, attempts) => {
    const c = clock();
    const budget = new RetryBudget({ percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 }, c.now);
    const engine = new RetryEngine({
      attempts,
      retryOn: ['5xx'],
      statusCodes: [],
      grpcCodes: [],
      backoff: { baseMs: 0, maxMs: 0 },
    });
    let tries = 0;
    let worstWindowRetries = 0;
    const perSecondRetries: number[] = [];
    for (let s = 0; s < seconds; s++) {
      let retriesThisSecond = 0;
      for (let r = 0; r < rps; r++) {
        c.t = s * 1000 + Math.floor((r * 1000) / rps);
        budget.recordRequest();
        let n = 1;
        tries++;
        while (engine.decide(n, 503, -1, 'none', true, budget) === 'retry') {
          n++;
          tries++;
          retriesThisSecond++;
        }
      }
      perSecondRetries.push(retriesThisSecond);
      const window = perSecondRetries.slice(-10).reduce((a, b) => a + b, 0);
      worstWindowRetries = Math.max(worstWindowRetries, window);
    }
    const requests = rps * seconds;
    // In any 10 s window: retries ≤ 20% of that window's requests + 10/s × 10 s.
    expect(worstWindowRetries).toBeLessThanOrEqual(Math.floor(0.2 * Math.min(requests, rps * 10) + 100));
    // Overall: tries ≤ requests × 1.2 + the reserve once per window (+1 for the window that is open).
    expect(tries).toBeLessThanOrEqual(requests * 1.2 + 100 * (Math.ceil(seconds / 10) + 1));
    // And the retries were really attempted up to the cap, not suppressed altogether.
    expect(tries).toBeGreaterThan(requests + Math.min(requests * 0.2, 100) - 1);
  });
});
