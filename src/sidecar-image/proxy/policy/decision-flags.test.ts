import { describe, expect, it } from 'vitest';
import { authzOutcome, faultFlags, overflowOutcome, rateOutcome, retryFlag } from './decision-flags.js';

describe('decision flags', () => {
  it.each([
    [overflowOutcome('none'), '-', 0],
    [overflowOutcome('requests'), 'UO', 503],
    [overflowOutcome('pending'), 'UO', 503],
    [rateOutcome({ allowed: true }), '-', 0],
    [rateOutcome({ allowed: false, retryAfterSeconds: 1 }), 'RL', 429],
    [authzOutcome({ allowed: true, reason: 'probe', policy: undefined }), '-', 0],
    [authzOutcome({ allowed: false, reason: 'denied', policy: 'p' }), 'RBAC', 403],
    [authzOutcome({ allowed: false, reason: 'not-allowed', policy: undefined }), 'RBAC', 403],
  ])('%j is %s %i', (outcome, flag, status) => {
    expect(outcome).toEqual({ flag, status });
  });

  it.each([
    ['retry', '-'],
    ['final', '-'],
    ['body', '-'],
    ['attempts', 'URX'],
    ['budget', 'URX'],
  ] as const)('retry decision %s flags %s', (d, flag) => {
    expect(retryFlag(d)).toBe(flag);
  });

  it('fault flags', () => {
    expect(faultFlags({ kind: 'none' })).toEqual([]);
    expect(faultFlags({ kind: 'delay', delayMs: 5 })).toEqual(['DI']);
    expect(faultFlags({ kind: 'abort', httpStatus: 503, delayMs: 0 })).toEqual(['FI']);
    expect(faultFlags({ kind: 'abort', httpStatus: 503, delayMs: 5 })).toEqual(['DI', 'FI']);
  });
});
