import { describe, expect, it } from 'vitest';
import { durationMs } from './duration.js';

describe('durationMs', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['24h', 86_400_000],
    ['1.5s', 1500],
    ['0.0004s', 0],
    ['1h1m1s1ms', 3_661_001],
    ['0s', 0],
  ])('%s is %i ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it.each(['', '5', 's', '5 s', '-1s', '1d', '5s ', '1us'])('refuses %j', (text) => {
    expect(() => durationMs(text)).toThrow(/not a duration/);
  });
});
