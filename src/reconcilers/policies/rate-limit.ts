import type { LocalRateLimit } from '../../api/crds/rate-limit.js';
import type { RateLimit } from '../../api/proxy-config-policies.js';
import { durationMs } from './duration.js';
import { PolicyError } from './outcome.js';

/** A CRD rate limit in the proxy's terms; the API server's rules checked again (an older CRD may skip them). */
export function rateLimitOf(r: LocalRateLimit): RateLimit {
  const fillIntervalMs = durationMs(r.fillInterval);
  if (fillIntervalMs < 1) throw new PolicyError('Invalid', 'rateLimit.fillInterval must be at least 1ms');
  if (r.tokensPerFill > r.maxTokens)
    throw new PolicyError('Invalid', 'rateLimit.tokensPerFill must not exceed maxTokens');
  return {
    maxTokens: r.maxTokens,
    tokensPerFill: r.tokensPerFill,
    fillIntervalMs,
    perIdentity: r.perIdentity,
  };
}
