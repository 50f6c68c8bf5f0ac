import type { AuthorizationPolicySpec, PeerAuthenticationSpec } from '../../api/crds/index.js';
import type {
  AuthorizationPolicy,
  PeerAuthentication,
  StringMatch,
} from '../../api/proxy-config-policies.js';
import { PolicyError } from './outcome.js';

const sortedLabels = (m: Record<string, string>) =>
  Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * A PeerAuthentication as the proxy reads it. Without a selector it is namespace-wide, or mesh-wide
 * in the control-plane namespace; with one it is a workload policy.
 */
export function compilePeerAuthentication(
  spec: PeerAuthenticationSpec,
  namespace: string,
  source: string,
  controlPlaneNamespace: string,
): PeerAuthentication {
  if (spec.mode === undefined && !spec.portModes?.length) {
    throw new PolicyError('Invalid', 'set mode, portModes or both');
  }
  if (spec.portModes?.length && !spec.selector) {
    throw new PolicyError(
      'Invalid',
      'spec.portModes needs a selector: ports belong to workloads, not to a namespace',
    );
  }
  const scope = spec.selector ? 'workload' : namespace === controlPlaneNamespace ? 'mesh' : 'namespace';
  return {
    scope,
    namespace,
    ...(spec.selector ? { selector: sortedLabels(spec.selector.matchLabels) } : {}),
    ...(spec.mode ? { mode: spec.mode } : {}),
    ...(spec.portModes?.length
      ? {
          portModes: [...spec.portModes]
            .sort((a, b) => a.port - b.port)
            .map((p) => ({ port: p.port, mode: p.mode })),
        }
      : {}),
    source,
  };
}

/** `*` any, `x*` prefix, `*x` suffix, else exact: the CRD's wildcard forms as matchers. */
export function stringMatch(pattern: string): StringMatch {
  if (pattern === '*') return { kind: 'any' };
  if (pattern.startsWith('*')) return { kind: 'suffix', value: pattern.slice(1) };
  if (pattern.endsWith('*')) return { kind: 'prefix', value: pattern.slice(0, -1) };
  return { kind: 'exact', value: pattern };
}

/** Sets a list field only when the CR gives values, so the document stays small and canonical. */
function list<T, U>(values: readonly T[] | undefined, map: (v: T) => U): U[] | undefined {
  return values?.length ? values.map(map) : undefined;
}

const id = <T>(v: T) => v;

/** An AuthorizationPolicy as the proxy reads it: wildcards turned into matchers, methods upper case. */
export function compileAuthorization(
  spec: AuthorizationPolicySpec,
  namespace: string,
  source: string,
): AuthorizationPolicy {
  const strip = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    namespace,
    ...(spec.selector ? { selector: sortedLabels(spec.selector.matchLabels) } : {}),
    action: spec.action,
    rules: (spec.rules ?? []).map((r) =>
      strip({
        from: list(r.from, (f) =>
          strip({
            principals: list(f.principals, stringMatch),
            notPrincipals: list(f.notPrincipals, stringMatch),
            namespaces: list(f.namespaces, id),
            notNamespaces: list(f.notNamespaces, id),
          }),
        ),
        to: list(r.to, (t) =>
          strip({
            methods: list(t.methods, (m) => m.toUpperCase()),
            notMethods: list(t.notMethods, (m) => m.toUpperCase()),
            paths: list(t.paths, stringMatch),
            notPaths: list(t.notPaths, stringMatch),
            ports: list(t.ports, id),
            notPorts: list(t.notPorts, id),
          }),
        ),
      }),
    ),
    source,
  };
}
