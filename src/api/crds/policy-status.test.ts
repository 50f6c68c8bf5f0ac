import { describe, expect, it } from 'vitest';
import { policyColumns, policyStatus } from './policy-status.js';

describe('policyStatus', () => {
  it('holds Accepted and ResolvedRefs conditions with the generation they saw', () => {
    const status = {
      observedGeneration: 2,
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
        {
          type: 'ResolvedRefs',
          status: 'False',
          reason: 'SubsetNotFound',
          message: 'subset v3 of reviews is not declared',
          observedGeneration: 2,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    expect(policyStatus.parse(status)).toEqual(status);
  });

  it('shows Accepted in kubectl get and the reason only with -o wide', () => {
    expect(policyColumns.map((c) => [c.name, 'priority' in c ? c.priority : 0])).toEqual([
      ['Accepted', 0],
      ['Reason', 1],
      ['Age', 0],
    ]);
  });
});
