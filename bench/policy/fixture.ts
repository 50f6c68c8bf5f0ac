/**
 * A realistic policy set, as the benchmark describes it: a route table with 20 rules,
 * retries, an outlier detector, a rate limit that does not trigger and an authorization policy with
 * 10 rules. Shared by the micro-benchmark here and usable by the data-plane benchmark.
 */
import type { ProxyConfigInput } from '../../src/api/proxy-config.js';
import type { TrafficPoliciesInput } from '../../src/api/proxy-config-policies.js';
import { defaultConnectionPool } from '../../src/sidecar-image/proxy/policy/defaults.js';

export const benchService = {
  namespace: 'bench',
  name: 'echo',
  clusterIp: '10.96.0.50',
  port: 8080,
} as const;

/** The same destination policy on the service and on each of its subsets. */
const destinationPolicy = {
  loadBalancer: { algorithm: 'LEAST_REQUEST' as const },
  // The proxy's own default pool: the benchmark's policy does not limit connections.
  connectionPool: { ...defaultConnectionPool },
  outlierDetection: {
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 0,
    consecutiveConnectFailures: 5,
    intervalMs: 10_000,
    baseEjectionTimeMs: 30_000,
    maxEjectionPercent: 10,
    panicThresholdPercent: 50,
  },
};

export function realisticPolicies(): TrafficPoliciesInput {
  const dest = (subset: string, weight: number) => ({
    namespace: benchService.namespace,
    service: benchService.name,
    subset,
    weight,
  });
  const rules = Array.from({ length: 19 }, (_, i) => ({
    name: `rule-${i}`,
    matches: [
      {
        path:
          i % 3 === 0
            ? { kind: 'regex' as const, value: `/api/v${i}/[a-z]+/[0-9]+` }
            : { kind: 'prefix' as const, value: `/api/r${i}/` },
        method: 'GET',
        headers: [{ name: 'x-tenant', kind: 'exact' as const, value: `tenant-${i}` }],
      },
    ],
    destinations: [dest('v1', 100)],
  }));
  return {
    routes: [
      {
        namespace: benchService.namespace,
        service: benchService.name,
        source: 'TrafficRoute bench/echo',
        rules: [
          ...rules,
          {
            name: 'default',
            matches: [],
            destinations: [dest('v1', 90), dest('v2', 10)],
            timeoutMs: 5000,
            retries: {
              attempts: 2,
              perTryTimeoutMs: 1000,
              retryOn: ['5xx', 'reset', 'connect-failure'],
              statusCodes: [503],
              grpcCodes: [14],
              backoff: { baseMs: 25, maxMs: 250 },
            },
            rateLimit: {
              maxTokens: 1_000_000,
              tokensPerFill: 1_000_000,
              fillIntervalMs: 1000,
              perIdentity: false,
            },
            responseHeaders: { set: [['x-served-by', 'trellis']] },
          },
        ],
      },
    ],
    destinations: [
      {
        namespace: benchService.namespace,
        service: benchService.name,
        source: 'DestinationPolicy bench/echo',
        policy: destinationPolicy,
        retryBudget: { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
        subsets: ['v1', 'v2'].map((v) => ({
          name: v,
          labels: { version: v },
          policy: destinationPolicy,
        })),
      },
    ],
    peerAuthentication: [],
    authorization: [
      {
        namespace: benchService.namespace,
        action: 'ALLOW',
        source: 'AuthorizationPolicy bench/allow',
        rules: Array.from({ length: 10 }, (_, i) => ({
          from: [
            {
              principals: [
                { kind: 'exact' as const, value: `spiffe://cluster.local/ns/bench/sa/client-${i}` },
              ],
            },
          ],
          to: [{ methods: ['GET', 'POST'], paths: [{ kind: 'prefix' as const, value: '/' }] }],
        })),
      },
    ],
  };
}

/** A whole proxy config around the policies: one service with two v1 and one v2 endpoints. */
export function realisticConfig(): ProxyConfigInput {
  const ep = (ip: string, version: string) => ({
    ip,
    ports: { http: 8080 },
    ready: true,
    labels: { app: 'echo', version },
  });
  return {
    schemaVersion: 1,
    namespace: benchService.namespace,
    trustDomain: 'cluster.local',
    services: [
      {
        name: benchService.name,
        namespace: benchService.namespace,
        clusterIps: [benchService.clusterIp],
        ports: [{ name: 'http', port: benchService.port }],
        endpoints: [ep('10.0.0.1', 'v1'), ep('10.0.0.2', 'v1'), ep('10.0.0.3', 'v2')],
      },
    ],
    policies: realisticPolicies(),
  };
}
