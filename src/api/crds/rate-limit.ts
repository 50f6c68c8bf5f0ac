import { z } from 'zod';
import { duration, withRules } from './schema-helpers.js';

/**
 * A local token bucket, kept by each proxy for itself (no shared counter): `tokensPerFill` tokens are
 * added every `fillInterval`, up to `maxTokens`; a request takes one or is answered 429 with retry-after.
 */
export const localRateLimit = withRules(
  z
    .object({
      maxTokens: z.int().min(1).max(1_000_000).describe('Bucket size: the largest burst allowed.'),
      tokensPerFill: z.int().min(1).max(1_000_000).default(1).describe('Tokens added at each fill.'),
      fillInterval: duration.default('1s').describe('How often tokens are added.'),
      perIdentity: z
        .boolean()
        .default(false)
        .describe("One bucket per calling workload's SPIFFE identity instead of one shared bucket."),
    })
    .describe('Local rate limit (token bucket) in each proxy; excess requests get 429 with retry-after.'),
  {
    rule: 'self.tokensPerFill <= self.maxTokens',
    message: 'tokensPerFill must not exceed maxTokens',
    fieldPath: '.tokensPerFill',
  },
  {
    rule: "duration(self.fillInterval) >= duration('1ms')",
    message: 'fillInterval must be at least 1ms',
    fieldPath: '.fillInterval',
  },
);
export type LocalRateLimit = z.output<typeof localRateLimit>;
