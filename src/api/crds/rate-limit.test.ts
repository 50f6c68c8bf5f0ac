import { describe, expect, it } from 'vitest';
import { localRateLimit } from './rate-limit.js';
import { toStructural } from './structural.js';

describe('localRateLimit', () => {
  it('fills one token a second into one shared bucket by default', () => {
    expect(localRateLimit.parse({ maxTokens: 10 })).toEqual({
      maxTokens: 10,
      tokensPerFill: 1,
      fillInterval: '1s',
      perIdentity: false,
    });
  });

  it('requires a bucket size and asks the API server to keep fills within it', () => {
    expect(localRateLimit.safeParse({}).success).toBe(false);
    const rules = toStructural(localRateLimit)['x-kubernetes-validations'] as { rule: string }[];
    expect(rules.map((r) => r.rule)).toContain('self.tokensPerFill <= self.maxTokens');
  });
});
