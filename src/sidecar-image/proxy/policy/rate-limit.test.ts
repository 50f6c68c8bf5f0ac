import { describe, expect, it } from 'vitest';
import type { RateLimit } from '../../../api/proxy-config-policies.js';
import { RateLimiter, TokenBucket } from './rate-limit.js';

const cfg = (over: Partial<RateLimit> = {}): RateLimit => ({
  maxTokens: 5,
  tokensPerFill: 1,
  fillIntervalMs: 1000,
  perIdentity: false,
  ...over,
});

describe('TokenBucket', () => {
  it('allows a burst of maxTokens, then refuses with retry-after until the next fill', () => {
    const b = new TokenBucket(cfg(), 0);
    for (let i = 0; i < 5; i++) expect(b.take(0)).toEqual({ allowed: true });
    expect(b.take(0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(b.take(999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(b.take(1000)).toEqual({ allowed: true });
    expect(b.take(1000).allowed).toBe(false);
  });

  it.each([
    // fill every 1s: 3 fills after 3.5 s, the half second carried to the next fill
    [cfg(), 3_500, 3],
    [cfg(), 60_000, 5],
    [cfg({ tokensPerFill: 2, fillIntervalMs: 100 }), 250, 4],
    [cfg({ tokensPerFill: 5, fillIntervalMs: 1 }), 1, 5],
  ])('refills %j after %i ms to %i tokens', (config, after, want) => {
    const b = new TokenBucket(config, 0);
    for (let i = 0; i < config.maxTokens; i++) b.take(0);
    expect(b.tokens(after)).toBe(want);
  });

  it('keeps partial intervals: fills land on the interval grid', () => {
    const b = new TokenBucket(cfg({ maxTokens: 1 }), 0);
    b.take(0);
    expect(b.take(1_500).allowed).toBe(true); // fill at 1000
    expect(b.take(1_999).allowed).toBe(false); // next fill at 2000, not 2500
    expect(b.take(2_000).allowed).toBe(true);
  });

  it.each([
    [60_000, 0, 60],
    [60_000, 59_001, 1],
    [2_500, 1, 3],
    [10, 0, 1],
  ])('retry-after with fill interval %i ms, asked at %i ms, is %i s', (fillIntervalMs, at, want) => {
    const b = new TokenBucket(cfg({ maxTokens: 1, fillIntervalMs }), 0);
    b.take(0);
    expect(b.take(at)).toEqual({ allowed: false, retryAfterSeconds: want });
  });

  it('admits exactly the configured rate over time', () => {
    const b = new TokenBucket(cfg({ maxTokens: 10, tokensPerFill: 10, fillIntervalMs: 1000 }), 0);
    let ok = 0;
    // 100 requests per second for 10 s: 10 per second get through (the first second's burst included).
    for (let t = 0; t < 10_000; t += 10) if (b.take(t).allowed) ok++;
    expect(ok).toBe(100);
  });
});

describe('RateLimiter', () => {
  it('shares one bucket without perIdentity', () => {
    const l = new RateLimiter(cfg({ maxTokens: 2 }), () => 0);
    expect([l.take('a').allowed, l.take('b').allowed, l.take('c').allowed]).toEqual([true, true, false]);
    expect(l.limited).toBe(1);
  });

  it('keeps one bucket per identity with perIdentity; no identity shares one', () => {
    const l = new RateLimiter(cfg({ maxTokens: 1, perIdentity: true }), () => 0);
    expect([l.take('a').allowed, l.take('a').allowed, l.take('b').allowed]).toEqual([true, false, true]);
    expect([l.take(undefined).allowed, l.take(undefined).allowed]).toEqual([true, false]);
  });

  it('drops the oldest identity bucket when full', () => {
    const l = new RateLimiter(cfg({ maxTokens: 1, perIdentity: true }), () => 0, 2);
    l.take('a');
    l.take('b');
    l.take('c'); // drops a
    expect(l.take('a').allowed).toBe(true);
    expect(l.take('c').allowed).toBe(false);
  });
});
