import { ports } from '../../../api/names.js';
import type { AuthorizationPolicy, StringMatch } from '../../../api/proxy-config-policies.js';
import { labelsMatch } from './subset.js';

/** One inbound request, or a TCP connection (method and path undefined). */
export interface AuthzRequest {
  /** The caller's SPIFFE ID from its mTLS certificate; undefined for plaintext. */
  principal: string | undefined;
  /** The caller's namespace, read from the principal (`namespaceOfPrincipal`); undefined for plaintext. */
  namespace: string | undefined;
  method: string | undefined;
  /** The path without the query string. */
  path: string | undefined;
  /** The workload's destination (container) port. */
  port: number;
}

export type AuthzReason = 'no-policy' | 'allowed' | 'probe' | 'denied' | 'not-allowed';

/** Decisions are made once per policy at load, so deciding allocates nothing. */
export interface AuthzDecision {
  allowed: boolean;
  reason: AuthzReason;
  /** The policy that decided (`AuthorizationPolicy ns/name`), when one did. */
  policy: string | undefined;
}

type Test = (s: string) => boolean;

function matcher(m: StringMatch): Test {
  switch (m.kind) {
    case 'any':
      return () => true;
    case 'exact':
      return (s) => s === m.value;
    case 'prefix':
      return (s) => s.startsWith(m.value);
    case 'suffix':
      return (s) => s.endsWith(m.value);
  }
}

const anyOf = (tests: readonly Test[], s: string) => {
  for (const t of tests) if (t(s)) return true;
  return false;
};

interface Source {
  principals: Test[] | undefined;
  notPrincipals: Test[];
  namespaces: string[] | undefined;
  notNamespaces: string[];
}

interface Operation {
  httpOnly: boolean;
  methods: string[] | undefined;
  notMethods: string[];
  paths: Test[] | undefined;
  notPaths: Test[];
  ports: number[] | undefined;
  notPorts: number[];
}

interface Rule {
  from: Source[] | undefined;
  to: Operation[] | undefined;
}

const nonEmpty = <T>(xs: T[] | undefined) => (xs && xs.length > 0 ? xs : undefined);

function compileRule(r: AuthorizationPolicy['rules'][number]): Rule {
  return {
    from: nonEmpty(
      r.from?.map((f) => ({
        principals: nonEmpty(f.principals?.map(matcher)),
        notPrincipals: (f.notPrincipals ?? []).map(matcher),
        namespaces: nonEmpty(f.namespaces),
        notNamespaces: f.notNamespaces ?? [],
      })),
    ),
    to: nonEmpty(
      r.to?.map((t) => ({
        httpOnly: [t.methods, t.notMethods, t.paths, t.notPaths].some((x) => x !== undefined && x.length > 0),
        methods: nonEmpty(t.methods?.map((m) => m.toUpperCase())),
        notMethods: (t.notMethods ?? []).map((m) => m.toUpperCase()),
        paths: nonEmpty(t.paths?.map(matcher)),
        notPaths: (t.notPaths ?? []).map(matcher),
        ports: nonEmpty(t.ports),
        notPorts: t.notPorts ?? [],
      })),
    ),
  };
}

function sourceHolds(s: Source, req: AuthzRequest): boolean {
  const p = req.principal;
  if (s.principals && (p === undefined || !anyOf(s.principals, p))) return false;
  if (p !== undefined && anyOf(s.notPrincipals, p)) return false;
  const ns = req.namespace;
  if (s.namespaces && (ns === undefined || !s.namespaces.includes(ns))) return false;
  if (ns !== undefined && s.notNamespaces.includes(ns)) return false;
  return true;
}

/**
 * On TCP (no method or path) an operation with HTTP-only fields never matches in an ALLOW policy and
 * has those fields ignored in a DENY policy: either way the stricter reading, as Istio does.
 */
function operationHolds(o: Operation, req: AuthzRequest, deny: boolean): boolean {
  if (o.ports && !o.ports.includes(req.port)) return false;
  if (o.notPorts.includes(req.port)) return false;
  const { method, path } = req;
  if (method === undefined || path === undefined) return deny || !o.httpOnly;
  if (o.methods && !o.methods.includes(method)) return false;
  if (o.notMethods.includes(method)) return false;
  if (o.paths && !anyOf(o.paths, path)) return false;
  if (anyOf(o.notPaths, path)) return false;
  return true;
}

// Plain loops rather than some(): no closure is allocated per request.
function anySource(from: readonly Source[], req: AuthzRequest): boolean {
  for (const s of from) if (sourceHolds(s, req)) return true;
  return false;
}

function anyOperation(to: readonly Operation[], req: AuthzRequest, deny: boolean): boolean {
  for (const o of to) if (operationHolds(o, req, deny)) return true;
  return false;
}

function ruleHolds(r: Rule, req: AuthzRequest, deny: boolean): boolean {
  if (r.from && !anySource(r.from, req)) return false;
  if (r.to && !anyOperation(r.to, req, deny)) return false;
  return true;
}

interface Policy {
  rules: Rule[];
  deny: boolean;
  decision: AuthzDecision;
}

const noPolicy: AuthzDecision = { allowed: true, reason: 'no-policy', policy: undefined };
const probe: AuthzDecision = { allowed: true, reason: 'probe', policy: undefined };
const notAllowed: AuthzDecision = { allowed: false, reason: 'not-allowed', policy: undefined };

/** Kubelet probes as the injector rewrote them: to the admin port, under /app-health/ (or /ready, /live). */
export function isProbe(req: AuthzRequest): boolean {
  if (req.port !== ports.admin || req.path === undefined) return false;
  return req.path.startsWith('/app-health/') || req.path === '/ready' || req.path === '/live';
}

/** The namespace in `spiffe://<trust domain>/ns/<namespace>/sa/<account>`, or undefined. */
export function namespaceOfPrincipal(principal: string): string | undefined {
  const m = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/.exec(principal);
  return m?.[1];
}

/**
 * The authorization policies of one workload, compiled at config load from those selecting it (its
 * namespace's, with no selector or one its labels satisfy). Evaluation order: a kubelet probe is
 * allowed; then any DENY policy with a matching rule denies; then, if any ALLOW policy selects the
 * workload, the request is allowed only when one of their rules matches; with no ALLOW policy it is
 * allowed. A policy without rules matches nothing, so an ALLOW policy without rules denies all.
 */
export class WorkloadAuthz {
  readonly #deny: Policy[];
  readonly #allow: Policy[];

  constructor(policies: readonly AuthorizationPolicy[], namespace: string, labels: Record<string, string>) {
    const selected = policies.filter(
      (p) => p.namespace === namespace && labelsMatch(p.selector ?? {}, labels),
    );
    const compile = (p: AuthorizationPolicy): Policy => ({
      rules: p.rules.map(compileRule),
      deny: p.action === 'DENY',
      decision:
        p.action === 'DENY'
          ? { allowed: false, reason: 'denied', policy: p.source }
          : { allowed: true, reason: 'allowed', policy: p.source },
    });
    this.#deny = selected.filter((p) => p.action === 'DENY').map(compile);
    this.#allow = selected.filter((p) => p.action === 'ALLOW').map(compile);
  }

  /** How many policies select this workload, for /config. */
  get policyCount(): number {
    return this.#deny.length + this.#allow.length;
  }

  decide(req: AuthzRequest): AuthzDecision {
    if (isProbe(req)) return probe;
    for (const p of this.#deny) for (const r of p.rules) if (ruleHolds(r, req, true)) return p.decision;
    if (this.#allow.length === 0) return noPolicy;
    for (const p of this.#allow) for (const r of p.rules) if (ruleHolds(r, req, false)) return p.decision;
    return notAllowed;
  }
}
