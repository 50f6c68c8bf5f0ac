import type { ProxyConfig } from '../../../api/proxy-config.js';
import type { EndpointPolicy, RouteRule, WeightedDestination } from '../../../api/proxy-config-policies.js';
import { WorkloadAuthz } from './authz.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { defaultConnectionPool, defaultRetryBudget, defaultRetryPolicy } from './defaults.js';
import { HeaderEditor } from './header-ops.js';
import { WorkloadMtls } from './mtls-mode.js';
import type { OutlierDetector } from './outlier.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestView } from './request-view.js';
import { RetryEngine } from './retry.js';
import type { RetryBudget } from './retry-budget.js';
import { RouteMatcher } from './route-match.js';
import type { RuntimeState } from './runtime-state.js';
import { WeightedSplit } from './split.js';
import { labelsMatch } from './subset.js';

/** One route rule, ready for the request path. */
export interface RuleRuntime {
  readonly rule: RouteRule;
  /** Smooth weighted round robin over `rule.destinations`. */
  readonly split: WeightedSplit;
  /** The rule's retries, or the default policy when it has none. */
  readonly retry: RetryEngine;
  readonly requestHeaders: HeaderEditor;
  readonly responseHeaders: HeaderEditor;
  /** The rule's own rate limit, checked before the destination's. */
  readonly rateLimiter: RateLimiter | undefined;
}

export class RouteRuntime {
  constructor(
    readonly source: string,
    private readonly matcher: RouteMatcher,
    readonly rules: readonly RuleRuntime[],
  ) {}

  /** The first rule that matches, or undefined: answer 404 with flag NR, as Istio does. */
  select(req: RequestView): RuleRuntime | undefined {
    const i = this.matcher.match(req);
    return i < 0 ? undefined : this.rules[i];
  }

  /** The destination for the next request of `rule`, by its weighted split. */
  static pick(rule: RuleRuntime): WeightedDestination | undefined {
    return rule.rule.destinations[rule.split.next()];
  }
}

/** How the endpoints of a service, or of one of its subsets, are used. */
export interface DestinationRuntime {
  readonly policy: EndpointPolicy;
  /** The subset's labels; undefined for the whole service. */
  readonly subsetLabels: Readonly<Record<string, string>> | undefined;
  readonly breaker: CircuitBreaker;
  /** Keyed by endpoint IP. */
  readonly outlier: OutlierDetector | undefined;
  readonly rateLimiter: RateLimiter | undefined;
  /** Shared by the service and its subsets: retries to any of them draw on one budget. */
  readonly budget: RetryBudget;
}

const defaultEndpointPolicy: EndpointPolicy = {
  loadBalancer: { algorithm: 'LEAST_REQUEST' },
  connectionPool: defaultConnectionPool,
};

export type LoadResult = { ok: true; set: PolicySet } | { ok: false; errors: string[] };

/** The workload this proxy serves, for its inbound policies. */
export interface Workload {
  namespace: string;
  labels: Record<string, string>;
}

/**
 * Everything the proxy's request path needs from the policies section, compiled once per config:
 * lookups are two map reads, nothing is parsed or allocated per request. A document with a regex the
 * engine refuses does not load, so the proxy keeps its last good PolicySet.
 */
export class PolicySet {
  /** namespace → service → port (0: any port) → route. */
  readonly #routes = new Map<string, Map<string, Map<number, RouteRuntime>>>();
  /** namespace → service → subset ('' for the service) → runtime. */
  readonly #destinations = new Map<string, Map<string, Map<string, DestinationRuntime>>>();
  readonly defaultRetry = new RetryEngine(defaultRetryPolicy);

  private constructor(
    readonly mtls: WorkloadMtls,
    readonly authz: WorkloadAuthz,
  ) {}

  static load(config: ProxyConfig, workload: Workload, state: RuntimeState): LoadResult {
    const p = config.policies ?? { routes: [], destinations: [], peerAuthentication: [], authorization: [] };
    const set = new PolicySet(
      new WorkloadMtls(p.peerAuthentication, workload.namespace, workload.labels, config.mtlsMode),
      new WorkloadAuthz(p.authorization, workload.namespace, workload.labels),
    );
    const errors: string[] = [];
    for (const route of p.routes) {
      const m = RouteMatcher.compile(route);
      if (!m.ok) {
        errors.push(`${route.source}: ${m.error}`);
        continue;
      }
      const rules = route.rules.map(
        (rule, i): RuleRuntime => ({
          rule,
          split: new WeightedSplit(rule.destinations.map((d) => d.weight)),
          retry: rule.retries ? new RetryEngine(rule.retries) : set.defaultRetry,
          requestHeaders: new HeaderEditor(rule.requestHeaders),
          responseHeaders: new HeaderEditor(rule.responseHeaders),
          rateLimiter: rule.rateLimit
            ? state.limiters.get(`route:${route.source}:${i}`, rule.rateLimit)
            : undefined,
        }),
      );
      nested(set.#routes, route.namespace, route.service).set(
        route.port ?? 0,
        new RouteRuntime(route.source, m.value, rules),
      );
    }
    if (errors.length > 0) return { ok: false, errors };

    const policies = new Map(p.destinations.map((d) => [`${d.namespace}/${d.service}`, d]));
    for (const svc of config.services) {
      const key = `${svc.namespace}/${svc.name}`;
      const dp = policies.get(key);
      const budget = state.budgets.get(key, dp?.retryBudget ?? defaultRetryBudget);
      // Ready endpoints only: the share ejected and the panic threshold are over what can serve.
      const ips = (labels: Record<string, string> | undefined) =>
        svc.endpoints.filter((e) => e.ready && (!labels || labelsMatch(labels, e.labels))).map((e) => e.ip);
      const make = (id: string, policy: EndpointPolicy, labels: Record<string, string> | undefined) => {
        const outlier = policy.outlierDetection ? state.outliers.get(id, policy.outlierDetection) : undefined;
        outlier?.setEndpoints(ips(labels));
        return {
          policy,
          subsetLabels: labels,
          breaker: state.breakers.get(id, policy.connectionPool),
          outlier,
          rateLimiter: policy.rateLimit ? state.limiters.get(`dest:${id}`, policy.rateLimit) : undefined,
          budget,
        };
      };
      const bySubset = nested(set.#destinations, svc.namespace, svc.name);
      // Without a DestinationPolicy the Service's own balancer setting applies.
      const servicePolicy = dp?.policy ?? {
        ...defaultEndpointPolicy,
        loadBalancer: { algorithm: svc.loadBalancer ?? 'LEAST_REQUEST' },
      };
      bySubset.set('', make(key, servicePolicy, undefined));
      for (const s of dp?.subsets ?? []) bySubset.set(s.name, make(`${key}/${s.name}`, s.policy, s.labels));
    }
    state.sweep();
    return { ok: true, set };
  }

  /** The route for a request to a service port: the port's own route, else the service's portless one. */
  route(namespace: string, service: string, port: number): RouteRuntime | undefined {
    const byPort = this.#routes.get(namespace)?.get(service);
    return byPort?.get(port) ?? byPort?.get(0);
  }

  /**
   * The runtime that governs a pod of `service` with these labels, for its inbound side: the first
   * subset (by name) whose labels the pod has, else the service's own.
   */
  servedBy(
    namespace: string,
    service: string,
    labels: Readonly<Record<string, string>>,
  ): DestinationRuntime | undefined {
    const bySubset = this.#destinations.get(namespace)?.get(service);
    if (!bySubset) return undefined;
    for (const [name, d] of bySubset)
      if (name !== '' && d.subsetLabels && labelsMatch(d.subsetLabels, labels)) return d;
    return bySubset.get('');
  }

  /** A service's runtime, or its subset's; undefined when either is unknown (answer 503 NR). */
  destination(namespace: string, service: string, subset = ''): DestinationRuntime | undefined {
    return this.#destinations.get(namespace)?.get(service)?.get(subset);
  }
}

function nested<K, V>(outer: Map<string, Map<string, Map<K, V>>>, a: string, b: string): Map<K, V> {
  let inner = outer.get(a);
  if (!inner) {
    inner = new Map();
    outer.set(a, inner);
  }
  let leaf = inner.get(b);
  if (!leaf) {
    leaf = new Map();
    inner.set(b, leaf);
  }
  return leaf;
}
