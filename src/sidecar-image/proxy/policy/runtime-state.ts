import type {
  ConnectionPool,
  OutlierDetection,
  RateLimit,
  RetryBudget as RetryBudgetConfig,
} from '../../../api/proxy-config-policies.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { OutlierDetector } from './outlier.js';
import { RateLimiter } from './rate-limit.js';
import { RetryBudget } from './retry-budget.js';

/** Engines by key, each remembered with the settings it was made from. */
class EngineCache<C, T> {
  readonly #entries = new Map<string, { config: string; engine: T }>();
  #used = new Set<string>();

  constructor(private readonly make: (config: C) => T) {}

  get(key: string, config: C): T {
    this.#used.add(key);
    const text = JSON.stringify(config);
    const hit = this.#entries.get(key);
    if (hit && hit.config === text) return hit.engine;
    const engine = this.make(config);
    this.#entries.set(key, { config: text, engine });
    return engine;
  }

  sweep(): void {
    for (const key of this.#entries.keys()) if (!this.#used.has(key)) this.#entries.delete(key);
    this.#used = new Set();
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * The stateful engines (circuit breakers, outlier detectors, retry budgets, rate limiters), kept
 * across config reloads: a reload that leaves a destination's settings unchanged keeps its engine,
 * so counters, ejections and buckets survive; a changed setting starts a fresh engine. A request
 * keeps the engine it started with, so its release lands on the right counters either way.
 * The getters run at config load, never per request.
 */
export class RuntimeState {
  readonly breakers = new EngineCache<ConnectionPool, CircuitBreaker>((c) => new CircuitBreaker(c));
  readonly outliers: EngineCache<OutlierDetection, OutlierDetector>;
  readonly budgets: EngineCache<RetryBudgetConfig, RetryBudget>;
  readonly limiters: EngineCache<RateLimit, RateLimiter>;

  constructor(readonly now: () => number = () => performance.now()) {
    this.outliers = new EngineCache((c) => new OutlierDetector(c, now));
    this.budgets = new EngineCache((c) => new RetryBudget(c, now));
    this.limiters = new EngineCache((c) => new RateLimiter(c, now));
  }

  /** Drops the engines the last config load did not ask for. */
  sweep(): void {
    this.breakers.sweep();
    this.outliers.sweep();
    this.budgets.sweep();
    this.limiters.sweep();
  }

  get size(): number {
    return this.breakers.size + this.outliers.size + this.budgets.size + this.limiters.size;
  }
}
