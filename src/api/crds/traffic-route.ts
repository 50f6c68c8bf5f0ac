import { z } from 'zod';
import { type CrdDefinition, resourceSchema } from './crd.js';
import { policyColumns, policyStatus } from './policy-status.js';
import { localRateLimit } from './rate-limit.js';
import {
  boundedMap,
  duration,
  headerName,
  namespaceName,
  percent,
  port,
  serviceName,
  withRules,
} from './schema-helpers.js';

const pattern = z.string().min(1).max(1024);

/** Counts the fields of `names` that are set, as a CEL expression. */
const countSet = (...names: string[]) => names.map((n) => `(has(self.${n}) ? 1 : 0)`).join(' + ');

const pathMatch = withRules(
  z
    .object({
      exact: pattern.regex(/^\//).optional().describe('The path equals this (query string excluded).'),
      prefix: pattern.regex(/^\//).optional().describe('The path starts with this.'),
      regex: pattern.optional().describe('The whole path matches this RE2 regular expression.'),
    })
    .describe('Request path condition: exactly one of exact, prefix and regex.'),
  {
    rule: `${countSet('exact', 'prefix', 'regex')} == 1`,
    message: 'set exactly one of exact, prefix and regex',
  },
);

/** A header or query parameter condition; `absent: true` matches when it is missing. */
const valueMatch = (what: string, name: z.ZodString) =>
  withRules(
    z
      .object({
        name: name.describe(`The ${what}'s name${what === 'header' ? ' (case-insensitive)' : ''}.`),
        exact: z.string().max(1024).optional().describe('The value equals this.'),
        regex: pattern.optional().describe('The whole value matches this RE2 regular expression.'),
        absent: z.boolean().optional().describe(`true: the ${what} must not be present.`),
      })
      .describe(`A ${what} condition: exactly one of exact, regex and absent: true.`),
    {
      rule: `(has(self.exact) ? 1 : 0) + (has(self.regex) ? 1 : 0) + (has(self.absent) && self.absent ? 1 : 0) == 1`,
      message: 'set exactly one of exact, regex and absent: true',
    },
  );

export const httpMethods = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const;

const match = z
  .object({
    path: pathMatch.optional(),
    method: z.enum(httpMethods).optional().describe('The request method.'),
    headers: z.array(valueMatch('header', headerName)).max(16).optional().describe('All must match.'),
    queryParams: z
      .array(valueMatch('query parameter', z.string().min(1).max(256)))
      .max(16)
      .optional()
      .describe('All must match.'),
  })
  .describe('Conditions on a request; all that are set must hold. An empty match matches every request.');

const destination = z.object({
  service: serviceName.describe('The Service to send to.'),
  namespace: namespaceName.optional().describe("The Service's namespace. Absent: the route's namespace."),
  subset: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe("A subset declared in the Service's DestinationPolicy. Absent: every endpoint."),
  port: port.optional().describe('The Service port. Absent: the port the request was sent to.'),
});

const weightedDestination = destination
  .extend({
    weight: z
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe('Share of requests, in percent. Weights must sum to 100; a single destination may omit it.'),
  })
  .describe('Where matching requests go.');

/** CEL: the sum of the weights, a lone destination without one counting as 100. */
const weightSum = 'self.map(d, has(d.weight) ? d.weight : (self.size() == 1 ? 100 : 0)).sum()';

const destinations = withRules(
  z.array(weightedDestination).min(1).max(16).describe('Where matching requests go, split by weight.'),
  {
    rule: `${weightSum} == 100`,
    message: 'weights must sum to 100 (a single destination may omit its weight)',
  },
);

export const retryOnConditions = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
] as const;
export const grpcRetryCodes = [
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

const backoff = withRules(
  z
    .object({
      baseInterval: duration
        .default('25ms')
        .describe('Wait before the first retry; doubled after each, with jitter.'),
      maxInterval: duration.default('250ms').describe('The longest wait between retries.'),
    })
    .prefault({})
    .describe('Exponential backoff with full jitter between retries.'),
  {
    rule: 'duration(self.baseInterval) <= duration(self.maxInterval)',
    message: 'baseInterval must not exceed maxInterval',
    fieldPath: '.baseInterval',
  },
);

const retries = z
  .object({
    attempts: z.int().min(0).max(10).default(2).describe('Retries after the first try; 0 turns retries off.'),
    perTryTimeout: duration
      .optional()
      .describe("Timeout for each try, first one included. Absent: only the rule's timeout applies."),
    retryOn: z
      .array(z.enum(retryOnConditions))
      .max(retryOnConditions.length)
      .default(['connect-failure', 'refused-stream'])
      .describe(
        'Failures that are retried: 5xx (any 5xx or reset), gateway-error (502, 503, 504), reset (connection reset or closed before a response), connect-failure, refused-stream (HTTP/2 REFUSED_STREAM), retriable-4xx (409).',
      ),
    retryOnStatusCodes: z
      .array(z.int().min(100).max(599))
      .max(16)
      .default([503])
      .describe('Response status codes that are retried, in addition to retryOn.'),
    retryOnGrpcCodes: z
      .array(z.enum(grpcRetryCodes))
      .max(grpcRetryCodes.length)
      .default(['cancelled', 'unavailable'])
      .describe('gRPC status codes (grpc-status) that are retried.'),
    backoff,
  })
  .describe(
    'Retries, on another endpoint where one exists. Requests whose body outgrew the replay buffer are not retried; the DestinationPolicy retryBudget caps them.',
  );

const delayFault = z
  .object({
    fixedDelay: duration.describe('How long to delay.'),
    percent: percent.default(100).describe('Share of requests delayed (0-100).'),
  })
  .describe('Delay requests before forwarding them.');

const abortFault = z
  .object({
    httpStatus: z.int().min(200).max(599).describe('The status to answer with.'),
    percent: percent.default(100).describe('Share of requests aborted (0-100).'),
  })
  .describe('Answer requests with an error without forwarding them.');

const fault = withRules(
  z
    .object({ delay: delayFault.optional(), abort: abortFault.optional() })
    .describe('Fault injection for chaos testing: delay, abort or both.'),
  { rule: 'has(self.delay) || has(self.abort)', message: 'set delay, abort or both' },
);

const mirror = destination
  .extend({
    percent: percent.default(100).describe('Share of requests copied (0-100).'),
  })
  .describe(
    'Copy requests to another service, fire-and-forget: its responses are discarded and never delay the caller.',
  );

const headerValues = boundedMap(headerName, z.string().max(4096), 32);
const headerOps = (where: string) =>
  z
    .object({
      set: headerValues.optional().describe('Headers to set, replacing any value present.'),
      add: headerValues.optional().describe('Headers to append, keeping values present.'),
      remove: z.array(headerName).max(32).optional().describe('Headers to remove.'),
    })
    .describe(`Header changes on the ${where}.`);

const rule = withRules(
  z
    .object({
      name: z
        .string()
        .min(1)
        .max(63)
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .optional()
        .describe('A name for metrics and logs.'),
      matches: z
        .array(match)
        .max(16)
        .optional()
        .describe('The rule applies when any match holds. Absent: every request.'),
      destinations,
      timeout: duration.optional().describe('Whole-request timeout, retries included. Absent: no timeout.'),
      retries: retries.optional(),
      fault: fault.optional(),
      mirror: mirror.optional(),
      rateLimit: localRateLimit.optional(),
      headers: z
        .object({ request: headerOps('request').optional(), response: headerOps('response').optional() })
        .optional()
        .describe('Header changes; applied after routing decisions.'),
    })
    .describe('One routing rule.'),
  {
    rule: '!has(self.timeout) || !has(self.retries) || !has(self.retries.perTryTimeout) || duration(self.retries.perTryTimeout) <= duration(self.timeout)',
    message: 'retries.perTryTimeout must not exceed timeout',
    fieldPath: '.retries.perTryTimeout',
  },
);

/** CEL: a rule that matches every request (no matches) — written for `r`. */
const catchAll = (r: string) => `(!has(${r}.matches) || ${r}.matches.size() == 0)`;

const rules = withRules(
  z.array(rule).min(1).max(64).describe('Ordered rules: the first whose match holds decides.'),
  {
    rule: `self.filter(r, ${catchAll('r')}).size() == 0 || (self.filter(r, ${catchAll('r')}).size() == 1 && ${catchAll('self[self.size() - 1]')})`,
    message: 'only the last rule may leave out matches: rules after a catch-all would never apply',
  },
);

export const trafficRouteSpec = z.object({
  service: serviceName.describe("The Service, in the route's namespace, whose traffic this routes."),
  port: port.optional().describe('Only traffic to this Service port. Absent: every port.'),
  rules,
});
export type TrafficRouteSpec = z.output<typeof trafficRouteSpec>;
export type TrafficRouteSpecInput = z.input<typeof trafficRouteSpec>;

export const trafficRouteCrd = {
  kind: 'TrafficRoute',
  plural: 'trafficroutes',
  singular: 'trafficroute',
  shortNames: ['tr'],
  scope: 'Namespaced',
  description:
    "TrafficRoute decides how requests to a Service are matched, split, retried, timed out, faulted and mirrored (Istio's VirtualService).",
  spec: trafficRouteSpec,
  status: policyStatus,
  specRequired: true,
  printerColumns: [
    { name: 'Service', type: 'string', jsonPath: '.spec.service', description: 'The routed Service.' },
    ...policyColumns,
  ],
} satisfies CrdDefinition<typeof trafficRouteSpec, typeof policyStatus>;

/** A whole TrafficRoute as the API server returns it, defaults filled. */
export const trafficRoute = resourceSchema(trafficRouteCrd);
export type TrafficRoute = z.output<typeof trafficRoute>;
