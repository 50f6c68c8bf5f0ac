import type { ConnectionPool } from '../../../api/proxy-config-policies.js';

/** Which limit refused: the request path answers 503 with flag UO and counts it under this label. */
export type Overflow = 'none' | 'connections' | 'pending' | 'requests';

/**
 * Envoy-style circuit breaking for one destination (service or subset) in this proxy: counters, not
 * timers. Every `start*` that returns 'none' must be paired with its `end*`; a refusal changes
 * nothing. A limit of 0 means unlimited.
 */
export class CircuitBreaker {
  connections = 0;
  pending = 0;
  active = 0;
  /** Refusals per limit since start, for metrics. */
  readonly overflows = { connections: 0, pending: 0, requests: 0 };

  constructor(private readonly limits: ConnectionPool) {}

  static #full(count: number, limit: number): boolean {
    return limit > 0 && count >= limit;
  }

  /** A new upstream connection; refused when maxConnections are open. */
  openConnection(): Overflow {
    if (CircuitBreaker.#full(this.connections, this.limits.maxConnections)) {
      this.overflows.connections++;
      return 'connections';
    }
    this.connections++;
    return 'none';
  }

  closeConnection(): void {
    if (this.connections > 0) this.connections--;
  }

  /** A request that has to wait for a connection; refused when maxPendingRequests already wait. */
  startPending(): Overflow {
    if (CircuitBreaker.#full(this.pending, this.limits.maxPendingRequests)) {
      this.overflows.pending++;
      return 'pending';
    }
    this.pending++;
    return 'none';
  }

  endPending(): void {
    if (this.pending > 0) this.pending--;
  }

  /** A request in flight (each retry counts as one while it runs); refused at maxConcurrentRequests. */
  startRequest(): Overflow {
    if (CircuitBreaker.#full(this.active, this.limits.maxConcurrentRequests)) {
      this.overflows.requests++;
      return 'requests';
    }
    this.active++;
    return 'none';
  }

  endRequest(): void {
    if (this.active > 0) this.active--;
  }

  /** Whether a connection that has carried `served` requests must be closed rather than reused. */
  connectionSpent(served: number): boolean {
    return CircuitBreaker.#full(served, this.limits.maxRequestsPerConnection);
  }
}
