import type { OutlierDetection } from '../../../api/proxy-config-policies.js';
import type { TryFailure } from './retry.js';

/** Why an endpoint was ejected, for the `trellis_outlier_ejections_total` reason label. */
export type EjectionReason =
  | 'consecutive_5xx'
  | 'consecutive_gateway_errors'
  | 'consecutive_connect_failures';

interface EndpointState {
  consecutive5xx: number;
  consecutiveGateway: number;
  consecutiveConnect: number;
  /** Times ejected, decayed while healthy; multiplies the base ejection time. */
  ejections: number;
  /** Ejected while now < ejectedUntil. */
  ejectedUntil: number;
}

/**
 * Passive health checking for the endpoints of one destination (service or subset), Envoy-style,
 * driven by the caller's clock (milliseconds) so tests are exact.
 *
 * - Every try reports its outcome. A failure to connect or a reset counts towards all three counters
 *   (Envoy without split local-origin errors); a per-try timeout counts as a 504; a 5xx response counts
 *   towards consecutive 5xx, and 502/503/504 towards gateway errors too; any response resets the
 *   connect-failure counter, a non-5xx resets the 5xx counter, a non-gateway status the gateway one.
 * - The first counter to reach its threshold (0: off) ejects the endpoint for `baseEjectionTime ×
 *   ejections`, where `ejections` is the endpoint's previous count, less one per whole `interval` it
 *   has since spent healthy, plus one.
 * - An ejection happens only while (ejected + 1) × 100 ≤ maxEjectionPercent × endpoints, or when
 *   nothing is ejected yet and maxEjectionPercent > 0 (Envoy: always at least one).
 * - An ejected endpoint is back at exactly `ejectedUntil`; no sweep is needed.
 * - Panic: when healthy × 100 < panicThresholdPercent × endpoints, `healthy()` returns every
 *   endpoint, ejected or not, rather than overloading the few left.
 */
export class OutlierDetector {
  readonly #states = new Map<string, EndpointState>();
  /** Ejections since start, by reason, for metrics. */
  readonly ejectionsByReason: Record<EjectionReason, number> = {
    consecutive_5xx: 0,
    consecutive_gateway_errors: 0,
    consecutive_connect_failures: 0,
  };
  /** Ejections the max-ejection percent prevented. */
  overflowed = 0;
  /** Set by the last `healthy()` call. */
  panicking = false;

  constructor(
    private readonly config: OutlierDetection,
    private readonly now: () => number,
  ) {}

  /** The endpoints of the destination now; state of endpoints that left is dropped. */
  setEndpoints(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const k of this.#states.keys()) if (!keep.has(k)) this.#states.delete(k);
    for (const k of keep) {
      if (!this.#states.has(k)) {
        this.#states.set(k, {
          consecutive5xx: 0,
          consecutiveGateway: 0,
          consecutiveConnect: 0,
          ejections: 0,
          ejectedUntil: 0,
        });
      }
    }
  }

  isEjected(key: string): boolean {
    const s = this.#states.get(key);
    return s !== undefined && s.ejectedUntil > this.now();
  }

  ejectedCount(): number {
    const t = this.now();
    let n = 0;
    for (const s of this.#states.values()) if (s.ejectedUntil > t) n++;
    return n;
  }

  /** One try's outcome: `status` 0 without a response. Returns the ejection it caused, if any. */
  report(key: string, status: number, failure: TryFailure): EjectionReason | undefined {
    const s = this.#states.get(key);
    if (!s) return undefined;
    const local = failure === 'connect-failure' || failure === 'reset' || failure === 'refused-stream';
    const code = failure === 'per-try-timeout' ? 504 : status;
    if (local) {
      s.consecutiveConnect++;
      s.consecutive5xx++;
      s.consecutiveGateway++;
    } else {
      s.consecutiveConnect = 0;
      if (code >= 500) s.consecutive5xx++;
      else s.consecutive5xx = 0;
      if (code === 502 || code === 503 || code === 504) s.consecutiveGateway++;
      else s.consecutiveGateway = 0;
    }
    const c = this.config;
    let reason: EjectionReason | undefined;
    if (c.consecutiveConnectFailures > 0 && s.consecutiveConnect >= c.consecutiveConnectFailures) {
      reason = 'consecutive_connect_failures';
    } else if (c.consecutive5xxErrors > 0 && s.consecutive5xx >= c.consecutive5xxErrors) {
      reason = 'consecutive_5xx';
    } else if (c.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= c.consecutiveGatewayErrors) {
      reason = 'consecutive_gateway_errors';
    }
    if (reason === undefined || s.ejectedUntil > this.now()) return undefined;
    return this.#eject(s, reason);
  }

  #eject(s: EndpointState, reason: EjectionReason): EjectionReason | undefined {
    const t = this.now();
    const ejected = this.ejectedCount();
    const total = this.#states.size;
    const max = this.config.maxEjectionPercent;
    const room = max > 0 && (ejected === 0 || (ejected + 1) * 100 <= max * total);
    if (!room) {
      this.overflowed++;
      return undefined;
    }
    const healthySince = s.ejectedUntil;
    const decay = s.ejections > 0 ? Math.floor((t - healthySince) / this.config.intervalMs) : 0;
    s.ejections = Math.max(0, s.ejections - decay) + 1;
    s.ejectedUntil = t + this.config.baseEjectionTimeMs * s.ejections;
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    s.consecutiveConnect = 0;
    this.ejectionsByReason[reason]++;
    return reason;
  }

  /**
   * The endpoints to balance over: `endpoints` itself when none is ejected or in panic, else the
   * non-ejected ones written into `out` (reused by the caller, so nothing is allocated).
   */
  healthy<T>(endpoints: readonly T[], keyOf: (e: T) => string, out: T[]): readonly T[] {
    const t = this.now();
    out.length = 0;
    for (const e of endpoints) {
      const s = this.#states.get(keyOf(e));
      if (s === undefined || s.ejectedUntil <= t) out.push(e);
    }
    const threshold = this.config.panicThresholdPercent;
    this.panicking = threshold > 0 && out.length * 100 < threshold * endpoints.length;
    if (this.panicking || out.length === endpoints.length) return endpoints;
    return out;
  }
}
