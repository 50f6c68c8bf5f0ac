import type { ConnectionPool, RetryBudget, RetryPolicy } from '../../../api/proxy-config-policies.js';

/**
 * What applies where no policy says otherwise: the CRDs' own defaults, so a service without a
 * TrafficRoute or DestinationPolicy behaves as one with an empty one. Retries follow Istio: even
 * without a route, a request is retried twice on connect failure, refused stream, 503 and the gRPC
 * codes cancelled (1) and unavailable (14).
 */
export const defaultRetryPolicy: RetryPolicy = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream'],
  statusCodes: [503],
  grpcCodes: [1, 14],
  backoff: { baseMs: 25, maxMs: 250 },
};

export const defaultConnectionPool: ConnectionPool = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxConcurrentRequests: 1024,
  maxRequestsPerConnection: 0,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
};

export const defaultRetryBudget: RetryBudget = { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 };

/** Bytes of request body kept for replay; a request whose body grows past it is not retried. */
export const retryBufferLimitBytes = 64 * 1024;
