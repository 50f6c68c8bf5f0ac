import type { V1Service } from '@kubernetes/client-node';
import type { z } from 'zod';
import {
  authorizationPolicySpec,
  type Condition,
  type DestinationPolicySpec,
  destinationPolicySpec,
  peerAuthenticationSpec,
  type TrafficRouteSpec,
  trafficRouteSpec,
} from '../api/crds/index.js';
import { re2Error } from '../sidecar-image/proxy/policy/re2.js';
import type { MeshObject } from './observed.js';

const specSchemas: Record<MeshObject['kind'], z.ZodType> = {
  TrafficRoute: trafficRouteSpec,
  DestinationPolicy: destinationPolicySpec,
  PeerAuthentication: peerAuthenticationSpec,
  AuthorizationPolicy: authorizationPolicySpec,
};

type Verdict = Pick<Condition, 'status' | 'reason' | 'message'>;

/** Every value under a `regex` key, with its path. */
function regexes(value: unknown, path: string): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => regexes(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'regex' && typeof v === 'string'
      ? [[`${path}.${k}`, v] as [string, string]]
      : regexes(v, `${path}.${k}`),
  );
}

/**
 * What the API server cannot check: the spec against our own schema (a CRD installed by an older
 * release may let more through) and each regex read the way the proxy will read it (RE2 subset).
 */
export function validateSpec(
  obj: MeshObject,
): { ok: true; spec: unknown } | { ok: false; reason: 'Invalid' | 'InvalidRegex'; message: string } {
  const parsed = specSchemas[obj.kind].safeParse(obj.spec);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`);
    return { ok: false, reason: 'Invalid', message: issues.join('; ') };
  }
  for (const [path, source] of regexes(parsed.data, 'spec')) {
    const error = re2Error(source);
    if (error) return { ok: false, reason: 'InvalidRegex', message: `${path}: ${error}` };
  }
  return { ok: true, spec: parsed.data };
}

interface Refs {
  services: readonly V1Service[];
  /** Valid DestinationPolicies, for subset references. */
  destinationPolicies: ReadonlyArray<{ namespace: string; spec: DestinationPolicySpec }>;
}

/** Names a TrafficRoute or DestinationPolicy refers to that do not exist. */
function missingRefs(obj: MeshObject, spec: unknown, refs: Refs): string[] {
  const ns = obj.metadata.namespace;
  const hasService = (namespace: string, name: string) =>
    refs.services.some((s) => s.metadata?.namespace === namespace && s.metadata?.name === name);
  const missing: string[] = [];
  const needService = (namespace: string, name: string) => {
    if (!hasService(namespace, name)) missing.push(`Service ${namespace}/${name}`);
  };
  if (obj.kind === 'DestinationPolicy') needService(ns, (spec as DestinationPolicySpec).service);
  if (obj.kind === 'TrafficRoute') {
    const route = spec as TrafficRouteSpec;
    needService(ns, route.service);
    for (const rule of route.rules) {
      for (const d of rule.destinations) {
        const dns = d.namespace ?? ns;
        needService(dns, d.service);
        if (!d.subset) continue;
        const declared = refs.destinationPolicies.some(
          (p) =>
            p.namespace === dns &&
            p.spec.service === d.service &&
            p.spec.subsets?.some((s) => s.name === d.subset),
        );
        if (!declared) missing.push(`subset ${d.subset} of Service ${dns}/${d.service}`);
      }
    }
  }
  return [...new Set(missing)].sort();
}

/** Accepted and ResolvedRefs for one mesh CR (as Gateway API reads them: a route with a missing backend is still accepted). */
export function policyVerdicts(obj: MeshObject, refs: Refs): { accepted: Verdict; resolvedRefs: Verdict } {
  const valid = validateSpec(obj);
  if (!valid.ok) {
    return {
      accepted: { status: 'False', reason: valid.reason, message: `not in effect: ${valid.message}` },
      resolvedRefs: {
        status: 'Unknown',
        reason: valid.reason,
        message: 'references are not checked: the spec is invalid',
      },
    };
  }
  const missing = missingRefs(obj, valid.spec, refs);
  const accepted: Verdict = { status: 'True', reason: 'Accepted', message: 'the spec is valid' };
  if (missing.length === 0) {
    return {
      accepted,
      resolvedRefs: { status: 'True', reason: 'ResolvedRefs', message: 'every reference resolves' },
    };
  }
  const reason = missing.some((m) => m.startsWith('Service ')) ? 'ServiceNotFound' : 'SubsetNotFound';
  return { accepted, resolvedRefs: { status: 'False', reason, message: `not found: ${missing.join(', ')}` } };
}

/**
 * The conditions to store: each verdict with the object's generation, keeping lastTransitionTime while
 * the status stays the same (API conventions: it marks changes of status, not of message).
 */
export function policyConditions(obj: MeshObject, refs: Refs, now: Date): Condition[] {
  const { accepted, resolvedRefs } = policyVerdicts(obj, refs);
  const generation = obj.metadata.generation ?? 0;
  const old = obj.status?.conditions ?? [];
  const make = (type: string, v: Verdict): Condition => {
    const prev = old.find((c) => c.type === type);
    const lastTransitionTime =
      prev && prev.status === v.status
        ? prev.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { type, ...v, observedGeneration: generation, lastTransitionTime };
  };
  return [make('Accepted', accepted), make('ResolvedRefs', resolvedRefs)];
}

/** Whether the stored status already says this: then nothing is written. */
export function statusUpToDate(obj: MeshObject, conditions: Condition[]): boolean {
  const status = obj.status;
  if (status?.observedGeneration !== (obj.metadata.generation ?? 0)) return false;
  return conditions.every((want) => {
    const have = status.conditions?.find((c) => c.type === want.type);
    return (
      have !== undefined &&
      have.status === want.status &&
      have.reason === want.reason &&
      have.message === want.message &&
      have.observedGeneration === want.observedGeneration
    );
  });
}

/** Valid DestinationPolicies of a list of mesh objects, for subset lookups. */
export function validDestinationPolicies(objects: readonly MeshObject[]): Refs['destinationPolicies'] {
  return objects.flatMap((o) => {
    if (o.kind !== 'DestinationPolicy') return [];
    const v = validateSpec(o);
    return v.ok ? [{ namespace: o.metadata.namespace, spec: v.spec as DestinationPolicySpec }] : [];
  });
}
