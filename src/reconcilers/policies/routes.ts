import type { TrafficRouteSpec } from '../../api/crds/index.js';
import type { RouteRule, ServiceRoute } from '../../api/proxy-config-policies.js';
import { re2Error } from '../../sidecar-image/proxy/policy/re2.js';
import { durationMs } from './duration.js';
import { PolicyError } from './outcome.js';
import { rateLimitOf } from './rate-limit.js';

type Rule = TrafficRouteSpec['rules'][number];
type Match = NonNullable<Rule['matches']>[number];
type ValueCondition = NonNullable<Match['headers']>[number];

/** gRPC status numbers for the CRD's names (grpc/status codes). */
export const grpcCodeNumbers = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  internal: 13,
  unavailable: 14,
} as const;

function regex(source: string, path: string): string {
  const error = re2Error(source);
  if (error) throw new PolicyError('InvalidRegex', `${path}: ${error}`);
  return source;
}

function path(p: NonNullable<Match['path']>, at: string): RouteRule['matches'][number]['path'] {
  const set = [p.exact, p.prefix, p.regex].filter((v) => v !== undefined).length;
  if (set !== 1) throw new PolicyError('Invalid', `${at}: set exactly one of exact, prefix and regex`);
  if (p.exact !== undefined) return { kind: 'exact', value: p.exact };
  if (p.prefix !== undefined) return { kind: 'prefix', value: p.prefix };
  return { kind: 'regex', value: regex(p.regex as string, `${at}.regex`) };
}

function condition(c: ValueCondition, at: string, lower: boolean) {
  const name = lower ? c.name.toLowerCase() : c.name;
  const set = [c.exact !== undefined, c.regex !== undefined, c.absent === true].filter(Boolean).length;
  if (set !== 1) throw new PolicyError('Invalid', `${at}: set exactly one of exact, regex and absent: true`);
  if (c.exact !== undefined) return { name, kind: 'exact' as const, value: c.exact };
  if (c.regex !== undefined) return { name, kind: 'regex' as const, value: regex(c.regex, `${at}.regex`) };
  return { name, kind: 'absent' as const };
}

function match(m: Match, at: string): RouteRule['matches'][number] {
  const out: RouteRule['matches'][number] = {};
  if (m.path) out.path = path(m.path, `${at}.path`);
  if (m.method) out.method = m.method;
  if (m.headers?.length) out.headers = m.headers.map((h, i) => condition(h, `${at}.headers[${i}]`, true));
  if (m.queryParams?.length) {
    out.queryParams = m.queryParams.map((q, i) => condition(q, `${at}.queryParams[${i}]`, false));
  }
  return out;
}

const byName = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);

/** Header edits with names lower case and lists sorted, so equal edits are equal bytes. */
function headerOps(ops: NonNullable<NonNullable<Rule['headers']>['request']> | undefined) {
  if (!ops) return undefined;
  const pairs = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .map(([k, v]): [string, string] => [k.toLowerCase(), v])
      .sort(byName);
  const out: NonNullable<RouteRule['requestHeaders']> = {};
  if (ops.set && Object.keys(ops.set).length) out.set = pairs(ops.set);
  if (ops.add && Object.keys(ops.add).length) out.add = pairs(ops.add);
  if (ops.remove?.length) out.remove = [...new Set(ops.remove.map((n) => n.toLowerCase()))].sort();
  return Object.keys(out).length ? out : undefined;
}

const sortedUnique = (xs: readonly number[]) => [...new Set(xs)].sort((a, b) => a - b);

function rule(r: Rule, i: number, namespace: string): RouteRule {
  const at = `spec.rules[${i}]`;
  const out: RouteRule = {
    name: r.name ?? `rule-${i}`,
    matches: (r.matches ?? []).map((m, j) => match(m, `${at}.matches[${j}]`)),
    destinations: r.destinations.map((d) => ({
      namespace: d.namespace ?? namespace,
      service: d.service,
      ...(d.subset ? { subset: d.subset } : {}),
      ...(d.port ? { port: d.port } : {}),
      weight: d.weight ?? (r.destinations.length === 1 ? 100 : 0),
    })),
  };
  const weights = out.destinations.reduce((sum, d) => sum + d.weight, 0);
  if (weights !== 100) {
    throw new PolicyError('Invalid', `${at}.destinations: weights must sum to 100, not ${weights}`);
  }
  if (r.timeout) out.timeoutMs = durationMs(r.timeout);
  if (r.retries) {
    const { attempts, perTryTimeout, retryOn, retryOnStatusCodes, retryOnGrpcCodes, backoff } = r.retries;
    out.retries = {
      attempts,
      ...(perTryTimeout ? { perTryTimeoutMs: durationMs(perTryTimeout) } : {}),
      retryOn: [...new Set(retryOn)].sort(),
      statusCodes: sortedUnique(retryOnStatusCodes),
      grpcCodes: sortedUnique(retryOnGrpcCodes.map((c) => grpcCodeNumbers[c])),
      backoff: { baseMs: durationMs(backoff.baseInterval), maxMs: durationMs(backoff.maxInterval) },
    };
  }
  if (r.fault) {
    out.fault = {
      ...(r.fault.delay
        ? { delay: { delayMs: durationMs(r.fault.delay.fixedDelay), percent: r.fault.delay.percent } }
        : {}),
      ...(r.fault.abort
        ? { abort: { httpStatus: r.fault.abort.httpStatus, percent: r.fault.abort.percent } }
        : {}),
    };
  }
  if (r.mirror) {
    const m = r.mirror;
    out.mirror = {
      namespace: m.namespace ?? namespace,
      service: m.service,
      ...(m.subset ? { subset: m.subset } : {}),
      ...(m.port ? { port: m.port } : {}),
      percent: m.percent,
    };
  }
  if (r.rateLimit) out.rateLimit = rateLimitOf(r.rateLimit);
  const request = headerOps(r.headers?.request);
  const response = headerOps(r.headers?.response);
  if (request) out.requestHeaders = request;
  if (response) out.responseHeaders = response;
  return out;
}

/** A TrafficRoute as the proxy reads it. Throws PolicyError on what the API server should have refused. */
export function compileRoute(spec: TrafficRouteSpec, namespace: string, source: string): ServiceRoute {
  return {
    namespace,
    service: spec.service,
    ...(spec.port ? { port: spec.port } : {}),
    source,
    rules: spec.rules.map((r, i) => rule(r, i, namespace)),
  };
}

/** Every service, subset and port a compiled route names, as `Service ns/name` and the like. */
export function routeRefs(
  route: ServiceRoute,
): Array<{ namespace: string; service: string; subset?: string; port?: number }> {
  const refs: Array<{ namespace: string; service: string; subset?: string; port?: number }> = [
    { namespace: route.namespace, service: route.service, ...(route.port ? { port: route.port } : {}) },
  ];
  for (const r of route.rules) {
    refs.push(...r.destinations);
    if (r.mirror) refs.push(r.mirror);
  }
  return refs;
}
