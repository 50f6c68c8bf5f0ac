import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../../api/proxy-config-policies.js';
import { RetryEngine, type TryFailure, untried } from './retry.js';

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 2,
  retryOn: [],
  statusCodes: [],
  grpcCodes: [],
  backoff: { baseMs: 25, maxMs: 250 },
  ...over,
});

const always = { tryRetry: () => true };
const never = { tryRetry: () => false };

describe('RetryEngine.retriable', () => {
  it.each<[RetryPolicy['retryOn'], number, number, TryFailure, boolean]>([
    [['5xx'], 500, -1, 'none', true],
    [['5xx'], 503, -1, 'none', true],
    [['5xx'], 404, -1, 'none', false],
    [['5xx'], 0, -1, 'reset', true],
    [['5xx'], 0, -1, 'connect-failure', true],
    [['5xx'], 0, -1, 'per-try-timeout', true],
    [['gateway-error'], 502, -1, 'none', true],
    [['gateway-error'], 504, -1, 'none', true],
    [['gateway-error'], 500, -1, 'none', false],
    [['gateway-error'], 0, -1, 'reset', false],
    [['gateway-error'], 0, -1, 'per-try-timeout', true],
    [['reset'], 0, -1, 'reset', true],
    [['reset'], 0, -1, 'connect-failure', false],
    [['connect-failure'], 0, -1, 'connect-failure', true],
    [['connect-failure'], 503, -1, 'none', false],
    [['refused-stream'], 0, -1, 'refused-stream', true],
    [['retriable-4xx'], 409, -1, 'none', true],
    [['retriable-4xx'], 429, -1, 'none', false],
    [[], 200, -1, 'none', false],
  ])('retryOn %j: status %i grpc %i %s → %s', (retryOn, status, grpc, failure, want) => {
    expect(new RetryEngine(policy({ retryOn })).retriable(status, grpc, failure)).toBe(want);
  });

  it('retries listed status codes and gRPC codes', () => {
    const e = new RetryEngine(policy({ statusCodes: [503, 429], grpcCodes: [14, 1] }));
    expect(e.retriable(429, -1, 'none')).toBe(true);
    expect(e.retriable(500, -1, 'none')).toBe(false);
    expect(e.retriable(200, 14, 'none')).toBe(true);
    expect(e.retriable(200, 13, 'none')).toBe(false);
    expect(e.retriable(200, 0, 'none')).toBe(false);
  });
});

describe('RetryEngine.decide', () => {
  const e = new RetryEngine(policy({ attempts: 2, retryOn: ['5xx'] }));
  it.each([
    ['success is final', 1, 200, true, always, 'final'],
    ['first failure retries', 1, 503, true, always, 'retry'],
    ['second failure retries', 2, 503, true, always, 'retry'],
    ['third failure: attempts spent', 3, 503, true, always, 'attempts'],
    ['budget empty', 1, 503, true, never, 'budget'],
    ['body not replayable, never retried', 1, 503, false, always, 'body'],
    ['not retriable wins over the body', 1, 404, false, always, 'final'],
  ] as const)('%s', (_what, tries, status, replayable, gate, want) => {
    expect(e.decide(tries, status, -1, 'none', replayable, gate)).toBe(want);
  });

  it('charges the budget only for retries that happen', () => {
    let charged = 0;
    const gate = { tryRetry: () => ++charged > 0 };
    e.decide(1, 200, -1, 'none', true, gate);
    e.decide(3, 503, -1, 'none', true, gate);
    e.decide(1, 503, -1, 'none', false, gate);
    expect(charged).toBe(0);
    e.decide(1, 503, -1, 'none', true, gate);
    expect(charged).toBe(1);
  });

  it('attempts 0 never retries', () => {
    expect(
      new RetryEngine(policy({ attempts: 0, retryOn: ['5xx'] })).decide(1, 503, -1, 'none', true, always),
    ).toBe('attempts');
  });
});

describe('RetryEngine.backoffMs', () => {
  const e = new RetryEngine(policy({ backoff: { baseMs: 25, maxMs: 250 } }));
  it.each([
    [1, 0.999999, 24],
    [2, 0.999999, 49],
    [3, 0.5, 50],
    [4, 0.999999, 199],
    [5, 0.999999, 249],
    [9, 0.999999, 249],
    [40, 0.5, 125],
    [1, 0, 0],
  ])('retry %i with random %f waits %i ms', (retry, r, want) => {
    expect(e.backoffMs(retry, () => r)).toBe(want);
  });
});

describe('untried', () => {
  it('prefers endpoints not tried yet, then falls back to all', () => {
    const eps = ['a', 'b', 'c'];
    expect(untried(eps, [])).toBe(eps);
    expect(untried(eps, ['a', 'c'])).toEqual(['b']);
    expect(untried(eps, ['a', 'b', 'c'])).toBe(eps);
  });
});
