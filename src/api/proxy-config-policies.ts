import { z } from 'zod';
import { re2Error } from '../sidecar-image/proxy/policy/re2.js';

/**
 * The `policies` section of the proxy config: the mesh CRs (TrafficRoute, DestinationPolicy,
 * PeerAuthentication, AuthorizationPolicy) as the reconciler compiled them for the proxy. Not a copy
 * of the CRDs: references are resolved to namespace and name, defaults are filled, durations are
 * milliseconds, header names are lower case, gRPC codes are numbers, a subset carries its effective
 * policy, and conflicts are already settled. docs/traffic-policy.md explains every field.
 */

const port = z.number().int().min(1).max(65535);
const name = z.string().min(1).max(253);
const ms = z.number().int().min(0);
const percent = z.number().min(0).max(100);
const count = z.number().int().min(0).max(4_294_967_295);
const labels = z.record(z.string(), z.string());
/** Where it came from (`TrafficRoute shop/reviews`), for logs and the admin /config page. */
const source = z.string().min(1);

/** A regex checked against the RE2 subset the proxy runs, so a bad one fails the document at its path. */
const re2 = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    const error = re2Error(s);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });

export const mtlsModes = ['STRICT', 'PERMISSIVE', 'DISABLE'] as const;
const mtlsMode = z.enum(mtlsModes);

// --- routes -----------------------------------------------------------------------------------

export const pathMatch = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('exact'), value: z.string().min(1) }),
  z.strictObject({ kind: z.literal('prefix'), value: z.string().min(1) }),
  z.strictObject({ kind: z.literal('regex'), value: re2 }),
]);

/** A header (name lower case) or query parameter condition. */
export const valueMatch = z.discriminatedUnion('kind', [
  z.strictObject({ name: z.string().min(1), kind: z.literal('exact'), value: z.string() }),
  z.strictObject({ name: z.string().min(1), kind: z.literal('regex'), value: re2 }),
  z.strictObject({ name: z.string().min(1), kind: z.literal('absent') }),
]);

export const routeMatch = z.strictObject({
  path: pathMatch.optional(),
  method: z.string().min(1).optional(),
  headers: z.array(valueMatch).optional(),
  queryParams: z.array(valueMatch).optional(),
});

/** A resolved service reference; `port` absent: the port the request was sent to. */
const serviceRef = {
  namespace: name,
  service: name,
  subset: z.string().min(1).optional(),
  port: port.optional(),
};

export const weightedDestination = z.strictObject({
  ...serviceRef,
  weight: z.number().int().min(0).max(100),
});
export type WeightedDestination = z.infer<typeof weightedDestination>;

export const retryOn = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
] as const;

export const retryPolicy = z.strictObject({
  attempts: z.number().int().min(0).max(10),
  perTryTimeoutMs: ms.optional(),
  retryOn: z.array(z.enum(retryOn)),
  statusCodes: z.array(z.number().int().min(100).max(599)),
  /** Numeric gRPC status codes (the `grpc-status` trailer or header). */
  grpcCodes: z.array(z.number().int().min(0).max(16)),
  backoff: z.strictObject({ baseMs: ms, maxMs: ms }),
});
export type RetryPolicy = z.infer<typeof retryPolicy>;

export const rateLimit = z.strictObject({
  maxTokens: z.number().int().min(1),
  tokensPerFill: z.number().int().min(1),
  fillIntervalMs: z.number().int().min(1),
  perIdentity: z.boolean(),
});
export type RateLimit = z.infer<typeof rateLimit>;

/** Header changes; names lower case, each list sorted by name. */
const headerOps = z.strictObject({
  set: z.array(z.tuple([z.string().min(1), z.string()])).optional(),
  add: z.array(z.tuple([z.string().min(1), z.string()])).optional(),
  remove: z.array(z.string().min(1)).optional(),
});
export type HeaderOps = z.infer<typeof headerOps>;

export const routeRule = z.strictObject({
  /** The rule's name, or `rule-<index>` when it has none. */
  name: z.string().min(1),
  /** Any may hold; empty: every request. */
  matches: z.array(routeMatch),
  destinations: z.array(weightedDestination).min(1),
  timeoutMs: ms.optional(),
  retries: retryPolicy.optional(),
  fault: z
    .strictObject({
      delay: z.strictObject({ delayMs: ms, percent }).optional(),
      abort: z.strictObject({ httpStatus: z.number().int().min(200).max(599), percent }).optional(),
    })
    .optional(),
  mirror: z.strictObject({ ...serviceRef, percent }).optional(),
  rateLimit: rateLimit.optional(),
  requestHeaders: headerOps.optional(),
  responseHeaders: headerOps.optional(),
});
export type RouteRule = z.infer<typeof routeRule>;

/** The routes of one service: `port` absent applies to every port; a port-specific route wins. */
export const serviceRoute = z.strictObject({
  namespace: name,
  service: name,
  port: port.optional(),
  source,
  rules: z.array(routeRule).min(1),
});
export type ServiceRoute = z.infer<typeof serviceRoute>;

// --- destinations -----------------------------------------------------------------------------

export const loadBalancer = z.strictObject({
  algorithm: z.enum(['LEAST_REQUEST', 'ROUND_ROBIN', 'RANDOM', 'CONSISTENT_HASH']),
  hashHeader: z.string().min(1).optional(),
  hashSourceIp: z.boolean().optional(),
});

/** Circuit-breaking limits; 0 means unlimited. */
export const connectionPool = z.strictObject({
  maxConnections: count,
  maxPendingRequests: count,
  maxConcurrentRequests: count,
  maxRequestsPerConnection: count,
  connectTimeoutMs: ms,
  idleTimeoutMs: ms,
});
export type ConnectionPool = z.infer<typeof connectionPool>;

export const outlierDetection = z.strictObject({
  consecutive5xxErrors: count,
  consecutiveGatewayErrors: count,
  consecutiveConnectFailures: count,
  intervalMs: z.number().int().min(1),
  baseEjectionTimeMs: ms,
  maxEjectionPercent: percent,
  panicThresholdPercent: percent,
});
export type OutlierDetection = z.infer<typeof outlierDetection>;

export const retryBudget = z.strictObject({
  percent,
  minRetriesPerSecond: z.number().int().min(0),
  windowMs: z.number().int().min(1),
});
export type RetryBudget = z.infer<typeof retryBudget>;

/** The blocks that apply to a service or, overrides resolved, to one of its subsets. */
export const endpointPolicy = z.strictObject({
  loadBalancer,
  connectionPool,
  outlierDetection: outlierDetection.optional(),
  rateLimit: rateLimit.optional(),
});
export type EndpointPolicy = z.infer<typeof endpointPolicy>;

export const destinationPolicy = z.strictObject({
  namespace: name,
  service: name,
  source,
  policy: endpointPolicy,
  retryBudget,
  /** Sorted by name; each holds its effective policy (a block set on the subset replaces the service's). */
  subsets: z.array(z.strictObject({ name: z.string().min(1), labels, policy: endpointPolicy })),
});
export type DestinationPolicy = z.infer<typeof destinationPolicy>;

// --- inbound ----------------------------------------------------------------------------------

/**
 * `mesh`: a selector-less PeerAuthentication in trellis-system; `namespace`: a selector-less one in
 * `namespace`; `workload`: one with a selector, for pods of `namespace` whose labels include it.
 */
export const peerAuthentication = z.strictObject({
  scope: z.enum(['mesh', 'namespace', 'workload']),
  namespace: name,
  selector: labels.optional(),
  mode: mtlsMode.optional(),
  portModes: z.array(z.strictObject({ port, mode: mtlsMode })).optional(),
  source,
});
export type PeerAuthentication = z.infer<typeof peerAuthentication>;

/** `exact`, `prefix` (written `x*`), `suffix` (`*x`) or `any` (`*`: present, whatever it is). */
export const stringMatch = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.enum(['exact', 'prefix', 'suffix']), value: z.string().min(1) }),
  z.strictObject({ kind: z.literal('any') }),
]);
export type StringMatch = z.infer<typeof stringMatch>;

export const authzSource = z.strictObject({
  principals: z.array(stringMatch).optional(),
  notPrincipals: z.array(stringMatch).optional(),
  namespaces: z.array(z.string().min(1)).optional(),
  notNamespaces: z.array(z.string().min(1)).optional(),
});

export const authzOperation = z.strictObject({
  methods: z.array(z.string().min(1)).optional(),
  notMethods: z.array(z.string().min(1)).optional(),
  paths: z.array(stringMatch).optional(),
  notPaths: z.array(stringMatch).optional(),
  ports: z.array(port).optional(),
  notPorts: z.array(port).optional(),
});

export const authorizationPolicy = z.strictObject({
  namespace: name,
  /** Absent: every pod of the namespace. */
  selector: labels.optional(),
  action: z.enum(['ALLOW', 'DENY']),
  /** Any rule matches; within a rule, `from` and `to` must both match (absent: anything). */
  rules: z.array(
    z.strictObject({ from: z.array(authzSource).optional(), to: z.array(authzOperation).optional() }),
  ),
  source,
});
export type AuthorizationPolicy = z.infer<typeof authorizationPolicy>;

export const trafficPolicies = z.strictObject({
  /** Sorted by namespace, service, then port (portless first). */
  routes: z.array(serviceRoute).default([]),
  /** Sorted by namespace and service; at most one per service. */
  destinations: z.array(destinationPolicy).default([]),
  /** Mesh-wide first, then namespace, then workload policies oldest first (the oldest selecting one wins). */
  peerAuthentication: z.array(peerAuthentication).default([]),
  /** Every policy that may select a pod of this namespace; order does not change decisions. */
  authorization: z.array(authorizationPolicy).default([]),
});
export type TrafficPolicies = z.infer<typeof trafficPolicies>;
export type TrafficPoliciesInput = z.input<typeof trafficPolicies>;
