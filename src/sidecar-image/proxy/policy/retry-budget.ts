import type { RetryBudget as RetryBudgetConfig } from '../../../api/proxy-config-policies.js';
import type { RetryGate } from './retry.js';
import { SlidingCount } from './sliding-window.js';

/**
 * Linkerd's (Finagle's) retry budget for one destination: over the last `window`, retries may number
 * at most `percent`% of the original requests plus a reserve of `minRetriesPerSecond × window`
 * seconds, so a quiet service can still retry while a failing busy one cannot multiply its load:
 *
 *   allowed ⇔ retries_in_window < floor(percent/100 × requests_in_window + minRetriesPerSecond × windowMs/1000)
 *
 * Every request's first try calls `recordRequest`; a retry that is allowed is counted at once.
 */
export class RetryBudget implements RetryGate {
  readonly #requests: SlidingCount;
  readonly #retries: SlidingCount;
  readonly #ratio: number;
  readonly #reserve: number;
  /** Retries refused, for the metric. */
  exhausted = 0;

  constructor(
    config: RetryBudgetConfig,
    private readonly now: () => number,
  ) {
    this.#requests = new SlidingCount(config.windowMs);
    this.#retries = new SlidingCount(config.windowMs);
    this.#ratio = config.percent / 100;
    this.#reserve = (config.minRetriesPerSecond * config.windowMs) / 1000;
  }

  recordRequest(): void {
    this.#requests.add(this.now());
  }

  /** Retries the window allows in total now. */
  allowance(): number {
    return Math.floor(this.#ratio * this.#requests.total(this.now()) + this.#reserve);
  }

  tryRetry(): boolean {
    const t = this.now();
    if (this.#retries.total(t) >= this.allowance()) {
      this.exhausted++;
      return false;
    }
    this.#retries.add(t);
    return true;
  }
}
