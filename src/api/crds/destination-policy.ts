import { z } from 'zod';
import { type CrdDefinition, resourceSchema } from './crd.js';
import { policyColumns, policyStatus } from './policy-status.js';
import { localRateLimit } from './rate-limit.js';
import { duration, headerName, labels, listMap, percent, serviceName, withRules } from './schema-helpers.js';

export const loadBalancerAlgorithms = ['LeastRequest', 'RoundRobin', 'Random', 'ConsistentHash'] as const;

const consistentHash = withRules(
  z
    .object({
      header: headerName.optional().describe('Hash this request header.'),
      sourceIp: z.boolean().optional().describe("true: hash the caller's IP address."),
    })
    .describe('What ConsistentHash hashes: exactly one of header and sourceIp: true.'),
  {
    rule: '(has(self.header) ? 1 : 0) + (has(self.sourceIp) && self.sourceIp ? 1 : 0) == 1',
    message: 'set exactly one of header and sourceIp: true',
  },
);

const loadBalancer = withRules(
  z
    .object({
      algorithm: z
        .enum(loadBalancerAlgorithms)
        .default('LeastRequest')
        .describe(
          'LeastRequest (power of two choices), RoundRobin, Random, or ConsistentHash (sticky by header or source IP).',
        ),
      consistentHash: consistentHash.optional(),
    })
    .describe('How an endpoint is picked for each request or connection.'),
  {
    rule: "(self.algorithm == 'ConsistentHash') == has(self.consistentHash)",
    message: 'consistentHash is required with algorithm ConsistentHash and only allowed with it',
  },
);

/** A count where 0 has a meaning of its own (`zero`: what 0 does). */
const count = (what: string, fallback: number, zero: string) =>
  z.int().min(0).max(4_294_967_295).default(fallback).describe(`${what} 0 ${zero}.`);
const limit = (what: string, fallback: number) => count(what, fallback, 'means unlimited');
const ejectAfter = (what: string, fallback: number) => count(what, fallback, 'turns this check off');

const connectionPool = z
  .object({
    maxConnections: limit(
      'Most TCP connections to the service, per calling proxy; beyond it new ones are refused.',
      1024,
    ),
    maxPendingRequests: limit(
      'Most requests waiting for a connection; beyond it the proxy answers 503 at once.',
      1024,
    ),
    maxConcurrentRequests: limit(
      'Most requests in flight to the service; beyond it the proxy answers 503 at once.',
      1024,
    ),
    maxRequestsPerConnection: limit('Requests over one upstream connection before it is closed.', 0),
    connectTimeout: duration.default('10s').describe('TCP and TLS connect timeout.'),
    idleTimeout: duration.default('1h').describe('Close upstream connections idle this long.'),
  })
  .describe('Connection pool and circuit-breaking limits; requests over a limit are answered 503 at once.');

const outlierDetection = z
  .object({
    consecutive5xxErrors: ejectAfter(
      '5xx responses (and connect failures) in a row that eject an endpoint.',
      5,
    ),
    consecutiveGatewayErrors: ejectAfter('502, 503 and 504 responses in a row that eject an endpoint.', 0),
    consecutiveConnectFailures: ejectAfter('Connect failures and resets in a row that eject an endpoint.', 5),
    interval: duration.default('10s').describe('How often ejections are evaluated and expired.'),
    baseEjectionTime: duration
      .default('30s')
      .describe('Ejection time; multiplied by how many times the endpoint has been ejected.'),
    maxEjectionPercent: percent
      .default(10)
      .describe('Most of the endpoints that may be ejected at once (0-100).'),
    panicThresholdPercent: percent
      .default(50)
      .describe(
        'Below this share of healthy endpoints the proxy ignores health and uses all of them (0 disables).',
      ),
  })
  .describe('Passive health checking: endpoints that keep failing are ejected for a while.');

const retryBudget = z
  .object({
    percent: percent
      .default(20)
      .describe('Retries allowed as a share of live requests (20: at most 1 retry per 5 requests).'),
    minRetriesPerSecond: z
      .int()
      .min(0)
      .max(1_000_000)
      .default(10)
      .describe('Retries always allowed per second, whatever the ratio says.'),
    window: duration.default('10s').describe('The window over which requests and retries are counted.'),
  })
  .describe('Caps retries so they cannot multiply load during an outage (as Linkerd budgets do).');

/** The policy blocks a subset may override; each replaces the service-level block as a whole. */
const overridable = {
  loadBalancer: loadBalancer.optional(),
  connectionPool: connectionPool.optional(),
  outlierDetection: outlierDetection.optional(),
  rateLimit: localRateLimit.optional(),
};

const subset = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .describe('The name TrafficRoute destinations use.'),
    labels: withRules(labels, {
      rule: 'self.size() > 0',
      message: 'a subset needs at least one label',
    }).describe("Endpoints whose pod labels include all of these, among the Service's endpoints."),
    policy: z
      .object(overridable)
      .optional()
      .describe('Overrides for this subset; each block set here replaces the service-level one.'),
  })
  .describe('A named group of the service’s endpoints, e.g. version: v2.');

export const destinationPolicySpec = z.object({
  service: serviceName.describe("The Service, in the policy's namespace, this applies to."),
  subsets: listMap(z.array(subset).max(32), 'name').optional().describe('Named endpoint groups.'),
  loadBalancer: loadBalancer.prefault({}),
  connectionPool: connectionPool.prefault({}),
  outlierDetection: outlierDetection.optional(),
  retryBudget: retryBudget.prefault({}),
  rateLimit: localRateLimit.optional(),
});
export type DestinationPolicySpec = z.output<typeof destinationPolicySpec>;
export type DestinationPolicySpecInput = z.input<typeof destinationPolicySpec>;

export const destinationPolicyCrd = {
  kind: 'DestinationPolicy',
  plural: 'destinationpolicies',
  singular: 'destinationpolicy',
  shortNames: ['dp'],
  scope: 'Namespaced',
  description:
    "DestinationPolicy says how a Service's endpoints are used once a route picked it: subsets, load balancing, connection limits, outlier detection, retry budget and rate limits (Istio's DestinationRule).",
  spec: destinationPolicySpec,
  status: policyStatus,
  specRequired: true,
  printerColumns: [
    { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'The Service it applies to.' },
    ...policyColumns,
  ],
} satisfies CrdDefinition<typeof destinationPolicySpec, typeof policyStatus>;

/** A whole DestinationPolicy as the API server returns it, defaults filled. */
export const destinationPolicy = resourceSchema(destinationPolicyCrd);
export type DestinationPolicy = z.output<typeof destinationPolicy>;
