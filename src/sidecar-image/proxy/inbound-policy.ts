import { namespaceOfPrincipal } from './policy/authz.js';
import { authzOutcome, rateOutcome } from './policy/decision-flags.js';
import { type ResponseFlag, responseFlags } from './policy/flags.js';
import type { PolicySet } from './policy/policy-set.js';
import type { PolicyMetrics } from './policy-metrics.js';
import type { Registry } from './registry.js';

/** One inbound request (method and path set) or TCP connection (both undefined). */
export interface InboundRequest {
  /** The caller's SPIFFE ID when it came over mTLS. */
  principal: string | undefined;
  method: string | undefined;
  path: string | undefined;
  /** The workload's container port the caller dialled. */
  port: number;
  /** The principal's namespace, when the caller already knows it (once per connection). */
  principalNamespace?: string | undefined;
}

/** Go on (`status` 0), or answer `status` with `flag` (HTTP) / close the connection (TCP). */
export interface InboundVerdict {
  status: number;
  flag: ResponseFlag;
  headers: Record<string, string> | undefined;
}

const pass: InboundVerdict = { status: 0, flag: responseFlags.none, headers: undefined };

/** Where this proxy's pod is: its IP, namespace and labels (for the subset that serves it). */
export interface Self {
  ip: string;
  labels: Readonly<Record<string, string>>;
}

/** This pod for inbound policy: its IP and the labels its own endpoint carries in the config. */
export function selfOf(ip: string, registry: Registry): Self {
  return { ip, labels: registry.podLabels(ip) };
}

/**
 * Whether requests to `port` have anything to decide: an authorization policy selects this
 * workload, or the service it serves there has a per-identity rate limit. Without either every
 * request passes, and the listener skips decideInbound for the connection (checked per config).
 */
export function inboundChecksNeeded(set: PolicySet, registry: Registry, self: Self, port: number): boolean {
  if (set.authz.policyCount > 0) return true;
  const served = registry.pod(self.ip, port);
  const dest = served && set.servedBy(served.service.namespace, served.service.name, self.labels);
  return dest?.rateLimiter !== undefined && dest.policy.rateLimit?.perIdentity === true;
}

/**
 * The inbound decisions after the mTLS mode admitted the connection, transport-independent:
 * authorization (DENY wins; an ALLOW policy denies what it does not allow), then the per-identity
 * rate limit of the service this pod serves (the server's limit, per calling SPIFFE ID; a shared
 * limit is the callers' outbound business). Counted in `trellis_authz_decisions_total` and
 * `trellis_rate_limited_total`.
 */
export function decideInbound(
  set: PolicySet,
  registry: Registry,
  self: Self,
  metrics: PolicyMetrics,
  req: InboundRequest,
): InboundVerdict {
  const d = set.authz.decide({
    principal: req.principal,
    namespace:
      req.principal === undefined
        ? undefined
        : (req.principalNamespace ?? namespaceOfPrincipal(req.principal)),
    method: req.method,
    path: req.path,
    port: req.port,
  });
  // With no policy there is nothing to report per request; count only decisions a policy made.
  if (d.reason !== 'no-policy') {
    metrics.authz.inc({ result: d.allowed ? 'allow' : 'deny', reason: d.reason, policy: d.policy ?? '' });
  }
  const denied = authzOutcome(d);
  if (denied.status !== 0) return { ...denied, headers: undefined };
  if (req.method === undefined) return pass;

  const served = registry.pod(self.ip, req.port);
  if (!served) return pass;
  const dest = set.servedBy(served.service.namespace, served.service.name, self.labels);
  if (!dest?.rateLimiter || !dest.policy.rateLimit?.perIdentity) return pass;
  const r = dest.rateLimiter.take(req.principal);
  if (r.allowed) return pass;
  metrics.rateLimited.inc({
    direction: 'inbound',
    destination_service: `${served.service.name}.${served.service.namespace}`,
    scope: 'destination',
  });
  return { ...rateOutcome(r), headers: { 'retry-after': String(r.retryAfterSeconds) } };
}
