import { describe, expect, it } from 'vitest';
import { joinFlags, responseFlags } from './flags.js';

describe('response flags', () => {
  it('are distinct letters', () => {
    const values = Object.values(responseFlags);
    expect(new Set(values).size).toBe(values.length);
  });

  it.each([
    [[], '-'],
    [['-'], '-'],
    [['DI', 'FI'], 'DI,FI'],
    [['URX', '-', 'URX', 'UT'], 'URX,UT'],
  ] as const)('join %j as %s', (flags, want) => {
    expect(joinFlags(flags)).toBe(want);
  });
});
