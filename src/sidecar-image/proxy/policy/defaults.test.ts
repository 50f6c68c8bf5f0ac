import { describe, expect, it } from 'vitest';
import { destinationPolicySpec, trafficRouteSpec } from '../../../api/crds/index.js';
import { defaultConnectionPool, defaultRetryBudget, defaultRetryPolicy } from './defaults.js';

describe('defaults', () => {
  it('equal the CRDs’ own defaults', () => {
    const route = trafficRouteSpec.parse({
      service: 'a',
      rules: [{ destinations: [{ service: 'a' }], retries: {} }],
    });
    const r = route.rules[0]?.retries;
    expect(defaultRetryPolicy.attempts).toBe(r?.attempts);
    expect(defaultRetryPolicy.retryOn).toEqual(r?.retryOn);
    expect(defaultRetryPolicy.statusCodes).toEqual(r?.retryOnStatusCodes);
    expect(defaultRetryPolicy.grpcCodes).toEqual([1, 14]);
    expect(r?.retryOnGrpcCodes).toEqual(['cancelled', 'unavailable']);
    expect(r?.backoff).toEqual({ baseInterval: '25ms', maxInterval: '250ms' });
    const dp = destinationPolicySpec.parse({ service: 'a' });
    expect(defaultConnectionPool).toMatchObject({
      maxConnections: dp.connectionPool.maxConnections,
      maxPendingRequests: dp.connectionPool.maxPendingRequests,
      maxConcurrentRequests: dp.connectionPool.maxConcurrentRequests,
      maxRequestsPerConnection: dp.connectionPool.maxRequestsPerConnection,
    });
    expect(dp.connectionPool.connectTimeout).toBe('10s');
    expect(dp.connectionPool.idleTimeout).toBe('1h');
    expect(defaultRetryBudget.percent).toBe(dp.retryBudget.percent);
    expect(defaultRetryBudget.minRetriesPerSecond).toBe(dp.retryBudget.minRetriesPerSecond);
    expect(dp.retryBudget.window).toBe('10s');
  });
});
