import type { AuthzDecision } from './authz.js';
import type { Overflow } from './circuit-breaker.js';
import { type ResponseFlag, responseFlags } from './flags.js';
import type { RateDecision } from './rate-limit.js';
import type { RetryDecision } from './retry.js';
import type { FaultDecision } from './sampler.js';

/**
 * Each engine's decision as the response flag and status the request path writes, so the mapping
 * lives next to the vocabulary and not in every caller. `status` 0: the request goes on.
 */
export interface Outcome {
  flag: ResponseFlag;
  status: number;
}

const pass: Outcome = { flag: responseFlags.none, status: 0 };
const overflow: Outcome = { flag: responseFlags.upstreamOverflow, status: 503 };
const limited: Outcome = { flag: responseFlags.rateLimited, status: 429 };
const forbidden: Outcome = { flag: responseFlags.rbacDenied, status: 403 };

export function overflowOutcome(o: Overflow): Outcome {
  return o === 'none' ? pass : overflow;
}

export function rateOutcome(d: RateDecision): Outcome {
  return d.allowed ? pass : limited;
}

export function authzOutcome(d: AuthzDecision): Outcome {
  return d.allowed ? pass : forbidden;
}

/** The flag a finished retry sequence adds: URX when retries were wanted but stopped. */
export function retryFlag(d: RetryDecision): ResponseFlag {
  return d === 'attempts' || d === 'budget' ? responseFlags.upstreamRetryLimitExceeded : responseFlags.none;
}

/** The flags of a fault decision, in the order they happen (delay, then abort). */
export function faultFlags(d: FaultDecision): readonly ResponseFlag[] {
  if (d.kind === 'none') return [];
  if (d.kind === 'delay') return [responseFlags.delayInjected];
  return d.delayMs > 0
    ? [responseFlags.delayInjected, responseFlags.faultInjected]
    : [responseFlags.faultInjected];
}
