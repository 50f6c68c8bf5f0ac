import { describe, expect, it } from 'vitest';
import { PolicyError, refsVerdict, refused } from './outcome.js';

describe('verdicts', () => {
  it.each([
    [[], 'True', 'ResolvedRefs'],
    [['subset v2 of Service a/b'], 'False', 'SubsetNotFound'],
    [['port 80 of Service a/b', 'subset v2 of Service a/b'], 'False', 'PortNotFound'],
    [['subset v2 of Service a/b', 'Service a/c'], 'False', 'ServiceNotFound'],
  ])('missing %j: %s %s', (missing, status, reason) => {
    expect(refsVerdict(missing)).toMatchObject({ status, reason });
  });

  it('lists what is missing once, sorted', () => {
    expect(refsVerdict(['Service a/z', 'Service a/b', 'Service a/z']).message).toBe(
      'not found: Service a/b, Service a/z',
    );
  });

  it('a refused object is not accepted and its references are unknown', () => {
    expect(refused(new PolicyError('InvalidRegex', 'spec.x: bad'))).toEqual({
      accepted: { status: 'False', reason: 'InvalidRegex', message: 'not in effect: spec.x: bad' },
      resolvedRefs: {
        status: 'Unknown',
        reason: 'InvalidRegex',
        message: 'references are not checked: the policy is not in effect',
      },
    });
  });
});
