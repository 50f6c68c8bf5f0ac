import { describe, expect, it } from 'vitest';
import { condition, conditions } from './conditions.js';
import { toStructural } from './structural.js';

const ready = {
  type: 'Ready',
  status: 'True',
  reason: 'Installed',
  message: 'the injector is available',
  observedGeneration: 3,
  lastTransitionTime: '2026-01-01T00:00:00Z',
};

describe('condition', () => {
  it('parses a metav1.Condition', () => {
    expect(condition.parse(ready)).toEqual(ready);
  });

  it('refuses a status other than True, False or Unknown, and a reason that is not a word', () => {
    expect(condition.safeParse({ ...ready, status: 'Yes' }).success).toBe(false);
    expect(condition.safeParse({ ...ready, reason: 'not a word' }).success).toBe(false);
  });

  it('is a list keyed by type, so the API server refuses two conditions of one type', () => {
    expect(toStructural(conditions)).toMatchObject({
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
  });
});
