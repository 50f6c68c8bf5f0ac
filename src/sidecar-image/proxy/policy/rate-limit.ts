import type { RateLimit } from '../../../api/proxy-config-policies.js';

/** Allowed, or refused with the whole seconds to wait (the `retry-after` value). */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const allowed: RateDecision = { allowed: true };

/**
 * One token bucket, refilled lazily in whole fills: at each `fillIntervalMs` since the last fill,
 * `tokensPerFill` tokens are added, up to `maxTokens`. It starts full. A request takes one token or
 * is refused; `retry-after` is the time to the next fill, rounded up to whole seconds (at least 1,
 * the header's unit).
 */
export class TokenBucket {
  #tokens: number;
  #lastFill: number;

  constructor(
    private readonly config: RateLimit,
    nowMs: number,
  ) {
    this.#tokens = config.maxTokens;
    this.#lastFill = nowMs;
  }

  #refill(nowMs: number): void {
    const fills = Math.floor((nowMs - this.#lastFill) / this.config.fillIntervalMs);
    if (fills <= 0) return;
    this.#tokens = Math.min(this.config.maxTokens, this.#tokens + fills * this.config.tokensPerFill);
    this.#lastFill += fills * this.config.fillIntervalMs;
  }

  tokens(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  take(nowMs: number): RateDecision {
    this.#refill(nowMs);
    if (this.#tokens >= 1) {
      this.#tokens--;
      return allowed;
    }
    const waitMs = this.#lastFill + this.config.fillIntervalMs - nowMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}

/**
 * The buckets of one limit (a destination's or a route's): one shared bucket, or one per calling
 * identity when `perIdentity`. Plaintext callers (no identity) share the bucket keyed ''. Identity
 * buckets are capped at `maxKeys`; when full, the least recently created is dropped (it restarts full
 * if that caller returns), so a flood of identities cannot grow memory without bound.
 */
export class RateLimiter {
  readonly #shared: TokenBucket | undefined;
  readonly #byIdentity = new Map<string, TokenBucket>();
  /** Refusals since start, for metrics. */
  limited = 0;

  constructor(
    private readonly config: RateLimit,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {
    this.#shared = config.perIdentity ? undefined : new TokenBucket(config, now());
  }

  take(identity: string | undefined): RateDecision {
    const t = this.now();
    let bucket = this.#shared;
    if (!bucket) {
      const key = identity ?? '';
      bucket = this.#byIdentity.get(key);
      if (!bucket) {
        if (this.#byIdentity.size >= this.maxKeys) {
          const oldest = this.#byIdentity.keys().next().value;
          if (oldest !== undefined) this.#byIdentity.delete(oldest);
        }
        bucket = new TokenBucket(this.config, t);
        this.#byIdentity.set(key, bucket);
      }
    }
    const d = bucket.take(t);
    if (!d.allowed) this.limited++;
    return d;
  }
}
