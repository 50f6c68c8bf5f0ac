import type { CircuitBreaker, Overflow } from './policy/circuit-breaker.js';
import { faultFlags, overflowOutcome, rateOutcome, retryFlag } from './policy/decision-flags.js';
import { type ResponseFlag, responseFlags } from './policy/flags.js';
import type { HeaderEditor } from './policy/header-ops.js';
import {
  type DestinationRuntime,
  type PolicySet,
  RouteRuntime,
  type RuleRuntime,
} from './policy/policy-set.js';
import { headerValue, type RequestView } from './policy/request-view.js';
import { type RetryDecision, type TryFailure, untried } from './policy/retry.js';
import { faultFor, sampled } from './policy/sampler.js';
import { labelsMatch } from './policy/subset.js';
import type { PolicyMetrics } from './policy-metrics.js';
import type { Registry, Upstream } from './registry.js';
import type { Balancers } from './route-target.js';

/** Where one try goes and how it is labelled. */
export interface TryTarget {
  host: string;
  port: number;
  /** The peer proxy's SPIFFE ID: mTLS, requiring exactly it. Absent: plaintext. */
  identity: string | undefined;
  destinationService: string;
  destinationWorkload: string;
}

/** How one try ended, before anything of it reaches the caller. */
export interface TryOutcome {
  /** The response status; 0 without a response. */
  status: number;
  /** The response's `grpc-status` header (a trailers-only gRPC answer); -1 when absent. */
  grpcStatus: number;
  failure: TryFailure;
  /** The transport's flag for a failure (UF, UC, UT); `-` with a response. */
  flag: ResponseFlag;
  /** A connection limit refused the try before it was sent (answer 503 UO); `none` otherwise. */
  overflow: Overflow;
  /** Hands this try's response (or, for a failure, the matching error answer) to the caller. */
  commit(responseHeaders: HeaderEditor | undefined): void;
  /** Drops this try's response: a retry follows. */
  discard(): void;
}

/**
 * What the pipeline needs from a transport (HTTP/1.1 today, HTTP/2 streams, a faster engine later):
 * send one try, answer locally, copy the request to a mirror. The transport owns bytes, pooling,
 * telemetry and the access log; the pipeline owns every policy decision.
 */
export interface Transport {
  /** Response flags so far, in the order they happened; the transport logs and counts them. */
  readonly flags: ResponseFlag[];
  /**
   * One try to `to` with the request headers edited by `requestHeaders`, cut after `timeoutMs`
   * (failure `per-try-timeout`) when set. `done` is called once when the try is over: its response
   * ended or was discarded, or it failed. A transport with its own connections accounts them in
   * `limits` (the destination's circuit breaker): new connections, tries waiting for one, and
   * requests served per connection.
   */
  tryOnce(
    to: TryTarget,
    requestHeaders: HeaderEditor | undefined,
    timeoutMs: number | undefined,
    done: () => void,
    limits?: ConnectionLimits,
  ): Promise<TryOutcome>;
  /** Answers without an upstream; the flags so far go in `x-trellis-response-flags`. */
  answer(status: number, headers: Record<string, string>, responseHeaders: HeaderEditor | undefined): void;
  /** A copy of the request to `to`, fire-and-forget; false when it cannot be sent (body not replayable). */
  mirror(to: TryTarget, done: () => void): boolean;
  /** Whether the request body can still be sent again (it fitted the replay buffer). */
  bodyReplayable(): boolean;
  /** The caller went away: nothing more is worth doing. */
  gone(): boolean;
}

/** The connection side of a circuit breaker (CircuitBreaker implements it). */
export type ConnectionLimits = Pick<
  CircuitBreaker,
  'openConnection' | 'closeConnection' | 'startPending' | 'endPending' | 'connectionSpent'
>;

/** An outbound request to a known Service port, as the listener resolved it. */
export interface OutboundRequest {
  view: RequestView;
  upstream: Upstream;
  /** The Service port the app dialled. */
  servicePort: number;
  /** This proxy's own SPIFFE ID: the caller for rate limits. */
  callerIdentity: string | undefined;
  /** The calling app's address, CONSISTENT_HASH's key when the hash header is absent. */
  sourceIp: string;
}

export interface PipelineDeps {
  set: PolicySet;
  registry: Registry;
  balancers: Balancers;
  metrics: PolicyMetrics;
  random: () => number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the pipeline needs for one request, under the config (`registry`) in force when it arrived. */
export function pipelineDeps(
  registry: Registry,
  balancers: Balancers,
  metrics: PolicyMetrics,
  random: () => number,
): PipelineDeps {
  return {
    set: registry.policies,
    registry,
    balancers,
    metrics,
    random,
    now: () => performance.now(),
    sleep,
  };
}

type Ep = Upstream['endpoints'][number];
const ipOf = (e: Ep) => e.endpoint.ip;
const addressOf = (e: Ep) => e.address;

// Endpoint entries live as long as their config, so each one's target is made once.
const targets = new WeakMap<Ep, TryTarget>();

function targetOf(e: Ep, upstream: Upstream): TryTarget {
  let t = targets.get(e);
  if (!t) {
    t = {
      host: e.endpoint.ip,
      port: e.port,
      identity: e.endpoint.identity,
      destinationService: upstream.label,
      destinationWorkload: e.endpoint.workload ?? 'unknown',
    };
    targets.set(e, t);
  }
  return t;
}

// A subset's endpoints change only with the config (both the upstream and the subset's labels are
// the config's objects), so the filter runs once per config, not per request.
const subsets = new WeakMap<Upstream, Map<Readonly<Record<string, string>>, readonly Ep[]>>();

function inSubset(upstream: Upstream, labels: Readonly<Record<string, string>>): readonly Ep[] {
  let byLabels = subsets.get(upstream);
  if (!byLabels) {
    byLabels = new Map();
    subsets.set(upstream, byLabels);
  }
  let eps = byLabels.get(labels);
  if (!eps) {
    eps = upstream.endpoints.filter((e) => labelsMatch(labels, e.endpoint.labels as Record<string, string>));
    byLabels.set(labels, eps);
  }
  return eps;
}

/** The endpoints a destination may use: ready ones of the service port, in the subset, not ejected. */
function usable(dest: DestinationRuntime, upstream: Upstream, scratch: Ep[]): readonly Ep[] {
  const labels = dest.subsetLabels;
  const eps = labels ? inSubset(upstream, labels) : upstream.endpoints;
  return dest.outlier ? dest.outlier.healthy(eps, ipOf, scratch) : eps;
}

const stoppedReason: Partial<Record<RetryDecision, string>> = {
  attempts: 'attempts',
  budget: 'budget',
  body: 'body',
};

/**
 * One outbound HTTP request through the traffic policy, in the order docs/traffic-policy.md §8
 * gives: route match, the rule's rate limit, faults, the split, the destination's rate limit, the
 * retry budget and circuit breaker, endpoints by subset and health and the balancer, tries with
 * per-try and overall timeouts and backoff, outlier reports, response header edits, then a mirror.
 * Every early answer and every stop is a response flag on the transport and a policy counter.
 */
export async function runOutbound(deps: PipelineDeps, req: OutboundRequest, t: Transport): Promise<void> {
  const { set, metrics: m } = deps;
  const svc = req.upstream.service;
  const svcLabel = req.upstream.label;
  const started = deps.now();

  const route = set.route(svc.namespace, svc.name, req.servicePort);
  let rule: RuleRuntime | undefined;
  if (route) {
    rule = route.select(req.view);
    if (!rule) return refuse(t, 404, responseFlags.noRoute, undefined);
  }
  const resHeaders = rule?.responseHeaders;

  const ruleLimit = rule?.rateLimiter?.take(req.callerIdentity);
  if (ruleLimit && !ruleLimit.allowed) {
    m.rateLimited.inc({ direction: 'outbound', destination_service: svcLabel, scope: 'route' });
    const o = rateOutcome(ruleLimit);
    return refuse(t, o.status, o.flag, resHeaders, {
      'retry-after': String(ruleLimit.retryAfterSeconds),
    });
  }

  if (rule?.rule.fault) {
    const f = faultFor(rule.rule.fault, deps.random);
    for (const flag of faultFlags(f)) t.flags.push(flag);
    if (f.kind !== 'none' && f.delayMs > 0) {
      m.faults.inc({ destination_service: svcLabel, kind: 'delay' });
      await deps.sleep(f.delayMs);
      if (t.gone()) return;
    }
    if (f.kind === 'abort') {
      m.faults.inc({ destination_service: svcLabel, kind: 'abort' });
      return t.answer(f.httpStatus, {}, resHeaders);
    }
  }

  const picked = rule ? RouteRuntime.pick(rule) : undefined;
  if (rule && !picked) return refuse(t, 503, responseFlags.noRoute, resHeaders);
  const upstream = picked
    ? deps.registry.serviceByName(picked.namespace, picked.service, picked.port ?? req.servicePort)
    : req.upstream;
  const dest = picked
    ? set.destination(picked.namespace, picked.service, picked.subset)
    : set.destination(svc.namespace, svc.name);
  if (!upstream || !dest) return refuse(t, 503, responseFlags.noRoute, resHeaders);
  const destLabel = upstream.label;

  // A per-identity destination limit is the server's: the inbound side applies it per caller.
  const destLimit =
    dest.rateLimiter && !dest.policy.rateLimit?.perIdentity
      ? dest.rateLimiter.take(req.callerIdentity)
      : undefined;
  if (destLimit && !destLimit.allowed) {
    m.rateLimited.inc({ direction: 'outbound', destination_service: destLabel, scope: 'destination' });
    const o = rateOutcome(destLimit);
    return refuse(t, o.status, o.flag, resHeaders, {
      'retry-after': String(destLimit.retryAfterSeconds),
    });
  }

  dest.budget.recordRequest();
  const retry = rule?.retry ?? set.defaultRetry;
  const timeoutMs = rule?.rule.timeoutMs;
  const deadline = timeoutMs !== undefined && timeoutMs > 0 ? started + timeoutMs : Number.POSITIVE_INFINITY;
  const balancer = deps.balancers.for(upstream.balancerKey);
  const lb = dest.policy.loadBalancer;
  const hashKey =
    lb.algorithm === 'CONSISTENT_HASH'
      ? ((lb.hashHeader && headerValue(req.view.headers, lb.hashHeader)) ?? req.sourceIp)
      : undefined;
  const scratch: Ep[] = [];
  const tried: Ep[] = [];

  for (let tries = 1; ; tries++) {
    if (t.gone()) return;
    // Timers may fire a fraction early: what is left of the route timeout is no try's worth.
    if (deadline - deps.now() < 1) return refuse(t, 504, responseFlags.upstreamRequestTimeout, resHeaders);
    const overflow = dest.breaker.startRequest();
    if (overflow !== 'none') {
      m.circuitOpen.inc({ destination_service: destLabel, limit: overflow });
      const o = overflowOutcome(overflow);
      return refuse(t, o.status, o.flag, resHeaders);
    }
    const endpoints = usable(dest, upstream, scratch);
    const choice = balancer.pick(untried(endpoints, tried), addressOf, lb.algorithm, hashKey);
    if (!choice) {
      dest.breaker.endRequest();
      return refuse(t, 503, responseFlags.noHealthyUpstream, resHeaders);
    }
    const ep = choice.target;
    tried.push(ep);
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      dest.breaker.endRequest();
      choice.release();
    };
    const left = deadline - deps.now();
    const perTry =
      retry.perTryTimeoutMs !== undefined && retry.perTryTimeoutMs > 0
        ? retry.perTryTimeoutMs
        : Number.POSITIVE_INFINITY;
    const limit = Math.min(perTry, left);
    const out = await t.tryOnce(
      targetOf(ep, upstream),
      rule?.requestHeaders,
      Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : undefined,
      done,
      dest.breaker,
    );
    if (out.overflow !== 'none') {
      m.circuitOpen.inc({ destination_service: destLabel, limit: out.overflow });
      const o = overflowOutcome(out.overflow);
      return refuse(t, o.status, o.flag, resHeaders);
    }
    const ejected = dest.outlier?.report(ep.endpoint.ip, out.status, out.failure);
    if (ejected) m.ejections.inc({ destination_service: destLabel, reason: ejected });
    if (out.failure === 'per-try-timeout' && deps.now() >= deadline) {
      out.discard();
      return refuse(t, 504, responseFlags.upstreamRequestTimeout, resHeaders);
    }
    if (t.gone()) return out.discard();
    const decision = retry.decide(
      tries,
      out.status,
      out.grpcStatus,
      out.failure,
      t.bodyReplayable(),
      dest.budget,
    );
    if (decision === 'retry') {
      out.discard();
      m.retries.inc({ destination_service: destLabel });
      const wait = retry.backoffMs(tries, deps.random);
      if (deps.now() + wait >= deadline) {
        await deps.sleep(Math.max(0, deadline - deps.now()));
        return refuse(t, 504, responseFlags.upstreamRequestTimeout, resHeaders);
      }
      if (wait > 0) await deps.sleep(wait);
      continue;
    }
    const reason = stoppedReason[decision];
    if (reason) m.retriesStopped.inc({ destination_service: destLabel, reason });
    t.flags.push(out.flag, retryFlag(decision));
    out.commit(resHeaders);
    if (rule?.rule.mirror) mirror(deps, rule, req, t);
    return;
  }
}

function refuse(
  t: Transport,
  status: number,
  flag: ResponseFlag,
  resHeaders: HeaderEditor | undefined,
  headers: Record<string, string> = {},
): void {
  t.flags.push(flag);
  t.answer(status, headers, resHeaders);
}

/** The rule's mirror, when its draw fires: one endpoint of the mirror service, fire-and-forget. */
function mirror(deps: PipelineDeps, rule: RuleRuntime, req: OutboundRequest, t: Transport): void {
  const mr = rule.rule.mirror;
  if (!mr || !sampled(mr.percent, deps.random)) return;
  const label = `${mr.service}.${mr.namespace}`;
  const upstream = deps.registry.serviceByName(mr.namespace, mr.service, mr.port ?? req.servicePort);
  const dest = deps.set.destination(mr.namespace, mr.service, mr.subset);
  const endpoints = upstream && dest ? usable(dest, upstream, []) : [];
  const balancer = upstream && deps.balancers.for(upstream.balancerKey);
  const choice = balancer?.pick(endpoints, addressOf, dest?.policy.loadBalancer.algorithm ?? 'LEAST_REQUEST');
  if (!upstream || !choice) {
    deps.metrics.mirrors.inc({ destination_service: label, result: 'skipped' });
    return;
  }
  const sent = t.mirror(targetOf(choice.target, upstream), choice.release);
  if (!sent) choice.release();
  deps.metrics.mirrors.inc({ destination_service: label, result: sent ? 'sent' : 'skipped' });
}

/** One try to `to` and its outcome relayed, no policy: pod-IP, passthrough and inbound h2 requests. */
export function forwardOnce(t: Transport, to: TryTarget, release: () => void): void {
  void t.tryOnce(to, undefined, undefined, release).then((o) => {
    t.flags.push(o.flag);
    o.commit(undefined);
  });
}
