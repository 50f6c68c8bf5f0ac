import type { DestinationPolicySpec } from '../../api/crds/index.js';
import type { DestinationPolicy, EndpointPolicy } from '../../api/proxy-config-policies.js';
import { durationMs } from './duration.js';
import { rateLimitOf } from './rate-limit.js';

type Blocks = Pick<
  DestinationPolicySpec,
  'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'rateLimit'
>;
type Overrides = Partial<Blocks>;

const algorithms = {
  LeastRequest: 'LEAST_REQUEST',
  RoundRobin: 'ROUND_ROBIN',
  Random: 'RANDOM',
  ConsistentHash: 'CONSISTENT_HASH',
} as const;

function endpointPolicy(b: Blocks): EndpointPolicy {
  const lb = b.loadBalancer;
  const pool = b.connectionPool;
  const od = b.outlierDetection;
  return {
    loadBalancer: {
      algorithm: algorithms[lb.algorithm],
      ...(lb.consistentHash?.header ? { hashHeader: lb.consistentHash.header.toLowerCase() } : {}),
      ...(lb.consistentHash?.sourceIp ? { hashSourceIp: true } : {}),
    },
    connectionPool: {
      maxConnections: pool.maxConnections,
      maxPendingRequests: pool.maxPendingRequests,
      maxConcurrentRequests: pool.maxConcurrentRequests,
      maxRequestsPerConnection: pool.maxRequestsPerConnection,
      connectTimeoutMs: durationMs(pool.connectTimeout),
      idleTimeoutMs: durationMs(pool.idleTimeout),
    },
    ...(od
      ? {
          outlierDetection: {
            consecutive5xxErrors: od.consecutive5xxErrors,
            consecutiveGatewayErrors: od.consecutiveGatewayErrors,
            consecutiveConnectFailures: od.consecutiveConnectFailures,
            // An interval of 0 would divide by zero in the ejection decay; 1 ms is the floor.
            intervalMs: Math.max(1, durationMs(od.interval)),
            baseEjectionTimeMs: durationMs(od.baseEjectionTime),
            maxEjectionPercent: od.maxEjectionPercent,
            panicThresholdPercent: od.panicThresholdPercent,
          },
        }
      : {}),
    ...(b.rateLimit ? { rateLimit: rateLimitOf(b.rateLimit) } : {}),
  };
}

/**
 * A DestinationPolicy as the proxy reads it. Each subset carries its effective policy: a block the
 * subset sets replaces the service-level block as a whole (Istio's rule), the others are inherited.
 */
export function compileDestination(
  spec: DestinationPolicySpec,
  namespace: string,
  source: string,
): DestinationPolicy {
  const service: Blocks = {
    loadBalancer: spec.loadBalancer,
    connectionPool: spec.connectionPool,
    outlierDetection: spec.outlierDetection,
    rateLimit: spec.rateLimit,
  };
  const subsets = [...(spec.subsets ?? [])]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => {
      const o: Overrides = s.policy ?? {};
      return {
        name: s.name,
        labels: Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1))),
        policy: endpointPolicy({
          loadBalancer: o.loadBalancer ?? service.loadBalancer,
          connectionPool: o.connectionPool ?? service.connectionPool,
          outlierDetection: o.outlierDetection ?? service.outlierDetection,
          rateLimit: o.rateLimit ?? service.rateLimit,
        }),
      };
    });
  return {
    namespace,
    service: spec.service,
    source,
    policy: endpointPolicy(service),
    retryBudget: {
      percent: spec.retryBudget.percent,
      minRetriesPerSecond: spec.retryBudget.minRetriesPerSecond,
      windowMs: Math.max(1, durationMs(spec.retryBudget.window)),
    },
    subsets,
  };
}
