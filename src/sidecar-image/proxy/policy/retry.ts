import type { RetryPolicy } from '../../../api/proxy-config-policies.js';

/** How a try ended without a response; `none` when it got one. */
export type TryFailure = 'none' | 'connect-failure' | 'reset' | 'refused-stream' | 'per-try-timeout';

/**
 * What to do after a try. `retry`: wait `backoffMs` and try again, on another endpoint where one is
 * left; `final`: the outcome stands (success, or a failure that is not retried); `attempts` and
 * `budget`: retriable but stopped, the last failure is returned with flag URX; `body`: retriable but
 * the request body outgrew the replay buffer, so it cannot be sent again.
 */
export type RetryDecision = 'retry' | 'final' | 'attempts' | 'budget' | 'body';

/** Something that rations retries across requests (the destination's RetryBudget). */
export interface RetryGate {
  tryRetry(): boolean;
}

/** Status flags for O(1) checks per try, built once per rule. */
function statusSet(codes: readonly number[]): Uint8Array {
  const set = new Uint8Array(600);
  for (const c of codes) set[c] = 1;
  return set;
}

export class RetryEngine {
  readonly attempts: number;
  readonly perTryTimeoutMs: number | undefined;
  readonly #on5xx: boolean;
  readonly #onGateway: boolean;
  readonly #onReset: boolean;
  readonly #onConnect: boolean;
  readonly #onRefused: boolean;
  readonly #on4xx: boolean;
  readonly #statuses: Uint8Array;
  readonly #grpc: Uint8Array;
  readonly #baseMs: number;
  readonly #maxMs: number;

  constructor(policy: RetryPolicy) {
    const on = new Set(policy.retryOn);
    this.attempts = policy.attempts;
    this.perTryTimeoutMs = policy.perTryTimeoutMs;
    this.#on5xx = on.has('5xx');
    this.#onGateway = on.has('gateway-error');
    this.#onReset = on.has('reset');
    this.#onConnect = on.has('connect-failure');
    this.#onRefused = on.has('refused-stream');
    this.#on4xx = on.has('retriable-4xx');
    this.#statuses = statusSet(policy.statusCodes);
    this.#grpc = new Uint8Array(17);
    for (const c of policy.grpcCodes) this.#grpc[c] = 1;
    this.#baseMs = policy.backoff.baseMs;
    this.#maxMs = policy.backoff.maxMs;
  }

  /**
   * Whether a try's outcome is one the policy retries. `status` is 0 without a response, `grpcStatus`
   * -1 when the response carries no `grpc-status`. Envoy's reading: 5xx covers every failure without a
   * response; a per-try timeout counts as a 504.
   */
  retriable(status: number, grpcStatus: number, failure: TryFailure): boolean {
    switch (failure) {
      case 'connect-failure':
        return this.#onConnect || this.#on5xx;
      case 'reset':
        return this.#onReset || this.#on5xx;
      case 'refused-stream':
        return this.#onRefused || this.#on5xx;
      case 'per-try-timeout':
        return this.#on5xx || this.#onGateway || this.#statuses[504] === 1;
      case 'none':
        break;
    }
    if (this.#on5xx && status >= 500) return true;
    if (this.#onGateway && (status === 502 || status === 503 || status === 504)) return true;
    if (this.#on4xx && status === 409) return true;
    if (status > 0 && status < 600 && this.#statuses[status] === 1) return true;
    return grpcStatus >= 0 && grpcStatus <= 16 && this.#grpc[grpcStatus] === 1;
  }

  /**
   * After try number `tries` (1 for the first), whether to try again. Order: success or not retriable
   * first, then the body, the attempt limit, and last the budget, which is only charged for a retry
   * that would really happen.
   */
  decide(
    tries: number,
    status: number,
    grpcStatus: number,
    failure: TryFailure,
    bodyReplayable: boolean,
    gate: RetryGate,
  ): RetryDecision {
    if (!this.retriable(status, grpcStatus, failure)) return 'final';
    if (!bodyReplayable) return 'body';
    if (tries > this.attempts) return 'attempts';
    return gate.tryRetry() ? 'retry' : 'budget';
  }

  /**
   * The wait before retry number `retry` (1 for the first): full jitter over an exponential ceiling,
   * `random() × min(max, base × 2^(retry-1))`, rounded down to whole milliseconds.
   */
  backoffMs(retry: number, random: () => number): number {
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(retry - 1, 30));
    return Math.floor(random() * ceiling);
  }
}

/**
 * The endpoints to pick a retry from: those not tried yet for this request, or all of them when every
 * one has been tried. Allocates, but only when a retry happens.
 */
export function untried<T>(endpoints: readonly T[], tried: readonly T[]): readonly T[] {
  if (tried.length === 0) return endpoints;
  const left = endpoints.filter((e) => !tried.includes(e));
  return left.length > 0 ? left : endpoints;
}
