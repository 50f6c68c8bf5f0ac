import { describe, expect, it } from 'vitest';
import { destinationPolicyCrd, destinationPolicySpec } from './destination-policy.js';
import { toStructural } from './structural.js';

type Node = Record<string, unknown> & { properties?: Record<string, Node> };

describe('DestinationPolicy spec', () => {
  const spec = destinationPolicySpec.parse({ service: 'reviews' });

  it('defaults to least-request balancing, 1024-wide limits and a 20% retry budget, outlier detection off', () => {
    expect(spec.loadBalancer).toEqual({ algorithm: 'LeastRequest' });
    expect(spec.connectionPool).toEqual({
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxConcurrentRequests: 1024,
      maxRequestsPerConnection: 0,
      connectTimeout: '10s',
      idleTimeout: '1h',
    });
    expect(spec.retryBudget).toEqual({ percent: 20, minRetriesPerSecond: 10, window: '10s' });
    expect(spec.outlierDetection).toBeUndefined();
  });

  it('fills outlier detection defaults when it is turned on', () => {
    const on = destinationPolicySpec.parse({ service: 'reviews', outlierDetection: {} });
    expect(on.outlierDetection).toEqual({
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 0,
      consecutiveConnectFailures: 5,
      interval: '10s',
      baseEjectionTime: '30s',
      maxEjectionPercent: 10,
      panicThresholdPercent: 50,
    });
  });

  it('refuses a subset without labels and an unknown algorithm', () => {
    expect(destinationPolicySpec.safeParse({ service: 'r', subsets: [{ name: 'v1' }] }).success).toBe(false);
    expect(
      destinationPolicySpec.safeParse({ service: 'r', loadBalancer: { algorithm: 'Fastest' } }).success,
    ).toBe(false);
  });

  it('keys subsets by name and checks the consistent-hash pairing on the API server', () => {
    const schema = toStructural(destinationPolicySpec) as Node;
    expect(schema.properties?.subsets).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(schema.properties?.loadBalancer?.['x-kubernetes-validations']).toEqual([
      {
        rule: "(self.algorithm == 'ConsistentHash') == has(self.consistentHash)",
        message: 'consistentHash is required with algorithm ConsistentHash and only allowed with it',
      },
    ]);
  });
});

describe('DestinationPolicy CRD', () => {
  it('is namespaced with short name dp', () => {
    expect([destinationPolicyCrd.scope, destinationPolicyCrd.shortNames]).toEqual(['Namespaced', ['dp']]);
  });
});
