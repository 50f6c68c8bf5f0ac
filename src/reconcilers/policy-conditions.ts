import type { Condition, DestinationPolicySpec } from '../api/crds/index.js';
import { re2Error } from '../sidecar-image/proxy/policy/re2.js';
import type { MeshObject } from './observed.js';
import { specSchemas } from './policies/compile.js';
import type { PolicyOutcome, Verdict } from './policies/outcome.js';

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

/**
 * The conditions to store: each verdict with the object's generation, keeping lastTransitionTime while
 * the status stays the same (API conventions: it marks changes of status, not of message).
 */
export function policyConditions(
  obj: MeshObject,
  { accepted, resolvedRefs }: Pick<PolicyOutcome, 'accepted' | 'resolvedRefs'>,
  now: Date,
): Condition[] {
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
export function validDestinationPolicies(
  objects: readonly MeshObject[],
): Array<{ namespace: string; spec: DestinationPolicySpec }> {
  return objects.flatMap((o) => {
    if (o.kind !== 'DestinationPolicy') return [];
    const v = validateSpec(o);
    return v.ok ? [{ namespace: o.metadata.namespace, spec: v.spec as DestinationPolicySpec }] : [];
  });
}
