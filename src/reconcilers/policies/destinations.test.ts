import { describe, expect, it } from 'vitest';
import { type DestinationPolicySpecInput, destinationPolicySpec } from '../../api/crds/index.js';
import { compileDestination } from './destinations.js';

const compile = (spec: DestinationPolicySpecInput) =>
  compileDestination(destinationPolicySpec.parse(spec), 'shop', 'DestinationPolicy shop/d');

describe('compileDestination', () => {
  it('fills every default, in milliseconds', () => {
    expect(compile({ service: 'reviews' })).toEqual({
      namespace: 'shop',
      service: 'reviews',
      source: 'DestinationPolicy shop/d',
      policy: {
        loadBalancer: { algorithm: 'LEAST_REQUEST' },
        connectionPool: {
          maxConnections: 1024,
          maxPendingRequests: 1024,
          maxConcurrentRequests: 1024,
          maxRequestsPerConnection: 0,
          connectTimeoutMs: 10_000,
          idleTimeoutMs: 3_600_000,
        },
      },
      retryBudget: { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
      subsets: [],
    });
  });

  it('gives each subset its effective policy: a block it sets replaces the service one whole', () => {
    const d = compile({
      service: 'reviews',
      loadBalancer: { algorithm: 'ConsistentHash', consistentHash: { header: 'X-User' } },
      connectionPool: { maxConcurrentRequests: 100 },
      outlierDetection: { consecutive5xxErrors: 3, baseEjectionTime: '1m' },
      rateLimit: { maxTokens: 10 },
      subsets: [
        { name: 'v2', labels: { version: 'v2' }, policy: { connectionPool: { maxConnections: 5 } } },
        { name: 'v1', labels: { version: 'v1', app: 'reviews' } },
      ],
    });
    expect(d.subsets.map((s) => s.name)).toEqual(['v1', 'v2']);
    expect(Object.keys(d.subsets[0]?.labels ?? {})).toEqual(['app', 'version']);
    expect(d.policy.loadBalancer).toEqual({ algorithm: 'CONSISTENT_HASH', hashHeader: 'x-user' });
    expect(d.policy.outlierDetection).toEqual({
      consecutive5xxErrors: 3,
      consecutiveGatewayErrors: 0,
      consecutiveConnectFailures: 5,
      intervalMs: 10_000,
      baseEjectionTimeMs: 60_000,
      maxEjectionPercent: 10,
      panicThresholdPercent: 50,
    });
    expect(d.subsets[0]?.policy).toEqual(d.policy);
    const v2 = d.subsets[1]?.policy;
    // The subset's connectionPool replaces the service's whole: maxConcurrentRequests is back to its default.
    expect(v2?.connectionPool.maxConnections).toBe(5);
    expect(v2?.connectionPool.maxConcurrentRequests).toBe(1024);
    expect(v2?.outlierDetection).toEqual(d.policy.outlierDetection);
    expect(v2?.rateLimit).toEqual({
      maxTokens: 10,
      tokensPerFill: 1,
      fillIntervalMs: 1000,
      perIdentity: false,
    });
  });
});
