import type { z } from 'zod';
import {
  type AuthorizationPolicySpec,
  authorizationPolicySpec,
  type DestinationPolicySpec,
  destinationPolicySpec,
  type PeerAuthenticationSpec,
  peerAuthenticationSpec,
  type TrafficRouteSpec,
  trafficRouteSpec,
} from '../../api/crds/index.js';
import { controlPlaneNamespace as defaultControlPlaneNamespace } from '../../api/names.js';
import type { Service } from '../../api/proxy-config.js';
import type {
  AuthorizationPolicy,
  DestinationPolicy,
  PeerAuthentication,
  ServiceRoute,
  TrafficPolicies,
} from '../../api/proxy-config-policies.js';
import type { MeshObject } from '../observed.js';
import { compileDestination } from './destinations.js';
import { compileAuthorization, compilePeerAuthentication } from './inbound.js';
import { byAge, sourceOf } from './order.js';
import { acceptedOk, PolicyError, type PolicyOutcome, refsOk, refsVerdict, refused } from './outcome.js';
import { compileRoute, routeRefs } from './routes.js';

export interface PolicyInputs {
  /** Every mesh CR, in any order. */
  objects: readonly MeshObject[];
  /** The Services the proxy config lists: references resolve against exactly what the proxy will know. */
  services: ReadonlyArray<Pick<Service, 'namespace' | 'name' | 'ports'>>;
  controlPlaneNamespace?: string;
}

export interface CompiledPolicies {
  /** The whole mesh's policies; `policiesForNamespace` cuts one namespace's document from it. */
  policies: TrafficPolicies;
  /** One per object, sorted by kind, namespace and name. */
  outcomes: PolicyOutcome[];
}

/** Each kind's spec schema: what the reconcilers check a CR against beyond the API server's own checks. */
export const specSchemas: Record<MeshObject['kind'], z.ZodType> = {
  TrafficRoute: trafficRouteSpec,
  DestinationPolicy: destinationPolicySpec,
  PeerAuthentication: peerAuthenticationSpec,
  AuthorizationPolicy: authorizationPolicySpec,
};

const kindOrder: MeshObject['kind'][] = [
  'DestinationPolicy',
  'TrafficRoute',
  'PeerAuthentication',
  'AuthorizationPolicy',
];
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compiles the mesh CRs into the proxy config's `policies` section, with a verdict for each CR.
 * Pure and deterministic: the same objects in any order give the same bytes and verdicts.
 *
 * - A spec our schema refuses, a regex outside RE2, or weights not summing to 100: not accepted
 *   (`Invalid`, `InvalidRegex`), and left out of the document.
 * - Two TrafficRoutes for the same service and port (or both portless), two DestinationPolicies for
 *   one service, two selector-less PeerAuthentications in one namespace: the oldest is in effect, the
 *   others are not accepted (`Conflicted`).
 * - A reference to a Service, port or subset that does not exist leaves the CR accepted with
 *   ResolvedRefs False (as Gateway API does): requests sent to the missing destination fail with NR.
 */
export function compilePolicies(inputs: PolicyInputs): CompiledPolicies {
  const cpNamespace = inputs.controlPlaneNamespace ?? defaultControlPlaneNamespace;
  const services = new Map(inputs.services.map((s) => [`${s.namespace}/${s.name}`, s]));
  const outcomes: PolicyOutcome[] = [];
  const destinations = new Map<string, { policy: DestinationPolicy; source: string }>();
  const routes = new Map<string, { route: ServiceRoute; source: string }>();
  const peerAuthentication: PeerAuthentication[] = [];
  const scopedPeerAuthn = new Map<string, string>();
  const authorization: AuthorizationPolicy[] = [];

  const ordered = [...inputs.objects].sort(
    (a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || byAge(a, b),
  );
  for (const obj of ordered) {
    const { namespace, name } = obj.metadata;
    const source = sourceOf(obj);
    const record = (v: Pick<PolicyOutcome, 'accepted' | 'resolvedRefs'>) =>
      outcomes.push({ kind: obj.kind, namespace, name, ...v });
    const parsed = specSchemas[obj.kind].safeParse(obj.spec);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; ');
      record(refused(new PolicyError('Invalid', issues)));
      continue;
    }
    try {
      switch (obj.kind) {
        case 'DestinationPolicy': {
          const policy = compileDestination(parsed.data as DestinationPolicySpec, namespace, source);
          const key = `${namespace}/${policy.service}`;
          const winner = destinations.get(key);
          if (winner)
            throw new PolicyError('Conflicted', `${winner.source} already applies to Service ${key}`);
          destinations.set(key, { policy, source });
          record({
            accepted: acceptedOk,
            resolvedRefs: refsVerdict(services.has(key) ? [] : [`Service ${key}`]),
          });
          break;
        }
        case 'TrafficRoute': {
          const route = compileRoute(parsed.data as TrafficRouteSpec, namespace, source);
          const key = `${namespace}/${route.service}:${route.port ?? '*'}`;
          const winner = routes.get(key);
          if (winner) {
            const port = route.port ? ` port ${route.port}` : '';
            throw new PolicyError(
              'Conflicted',
              `${winner.source} already routes Service ${namespace}/${route.service}${port}`,
            );
          }
          routes.set(key, { route, source });
          const missing: string[] = [];
          for (const ref of routeRefs(route)) {
            const svcKey = `${ref.namespace}/${ref.service}`;
            const svc = services.get(svcKey);
            if (!svc) {
              missing.push(`Service ${svcKey}`);
              continue;
            }
            if (ref.port && !svc.ports.some((p) => p.port === ref.port))
              missing.push(`port ${ref.port} of Service ${svcKey}`);
            const dp = destinations.get(svcKey)?.policy;
            if (ref.subset && !dp?.subsets.some((s) => s.name === ref.subset)) {
              missing.push(`subset ${ref.subset} of Service ${svcKey}`);
            }
          }
          record({ accepted: acceptedOk, resolvedRefs: refsVerdict(missing) });
          break;
        }
        case 'PeerAuthentication': {
          const pa = compilePeerAuthentication(
            parsed.data as PeerAuthenticationSpec,
            namespace,
            source,
            cpNamespace,
          );
          if (pa.scope !== 'workload') {
            const winner = scopedPeerAuthn.get(namespace);
            const what = pa.scope === 'mesh' ? 'the mesh' : `namespace ${namespace}`;
            if (winner) throw new PolicyError('Conflicted', `${winner} already applies to ${what}`);
            scopedPeerAuthn.set(namespace, source);
          }
          peerAuthentication.push(pa);
          record({ accepted: acceptedOk, resolvedRefs: refsOk });
          break;
        }
        case 'AuthorizationPolicy':
          authorization.push(compileAuthorization(parsed.data as AuthorizationPolicySpec, namespace, source));
          record({ accepted: acceptedOk, resolvedRefs: refsOk });
          break;
      }
    } catch (err) {
      record(refused(err instanceof PolicyError ? err : new PolicyError('Invalid', (err as Error).message)));
    }
  }

  const scopeOrder = { mesh: 0, namespace: 1, workload: 2 } as const;
  return {
    policies: {
      routes: [...routes.values()]
        .map((r) => r.route)
        .sort(
          (a, b) =>
            cmp(a.namespace, b.namespace) || cmp(a.service, b.service) || (a.port ?? 0) - (b.port ?? 0),
        ),
      destinations: [...destinations.values()]
        .map((d) => d.policy)
        .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.service, b.service)),
      // Stable sort: within a scope, workload policies stay oldest first (the oldest selecting one wins).
      peerAuthentication: peerAuthentication.sort(
        (a, b) =>
          scopeOrder[a.scope] - scopeOrder[b.scope] ||
          (a.scope === 'workload' ? 0 : cmp(a.namespace, b.namespace)),
      ),
      authorization: authorization.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.source, b.source)),
    },
    outcomes: outcomes.sort(
      (a, b) => cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name),
    ),
  };
}

/**
 * One namespace's share: every route and destination policy (its pods call services anywhere), and
 * the inbound policies that can apply to its own pods (its own and the mesh-wide PeerAuthentication).
 */
export function policiesForNamespace(all: TrafficPolicies, namespace: string): TrafficPolicies {
  return {
    routes: all.routes,
    destinations: all.destinations,
    peerAuthentication: all.peerAuthentication.filter((p) => p.scope === 'mesh' || p.namespace === namespace),
    authorization: all.authorization.filter((p) => p.namespace === namespace),
  };
}
