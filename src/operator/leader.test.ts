import { describe, expect, it } from 'vitest';
import { validateLeaderTiming } from './leader.js';

describe('validateLeaderTiming', () => {
  it.each([
    [15_000, 10_000, 2000, undefined],
    [4000, 3000, 500, undefined],
    [10_000, 10_000, 2000, 'lease duration must exceed the renew deadline'],
    [10_000, 12_000, 2000, 'lease duration must exceed the renew deadline'],
    [15_000, 2000, 2000, 'renew deadline must exceed the retry period'],
    [15_000, 10_000, 0, 'retry period must be positive'],
  ])(
    'lease %i, renew deadline %i, retry %i: %s',
    (leaseDurationMs, renewDeadlineMs, retryPeriodMs, error) => {
      const check = () => validateLeaderTiming({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
      if (error) expect(check).toThrow(error);
      else expect(check).not.toThrow();
    },
  );
});
