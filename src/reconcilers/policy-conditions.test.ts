import { describe, expect, it } from 'vitest';
import { examples } from '../api/crds/examples.js';
import type { MeshObject } from './observed.js';
import { compilePolicies } from './policies/compile.js';
import { policyConditions, statusUpToDate } from './policy-conditions.js';

const obj = (kind: MeshObject['kind'], spec: unknown, generation = 3): MeshObject => ({
  apiVersion: 'trellis.dev/v1alpha1',
  kind,
  metadata: { name: 'x', namespace: 'shop', generation },
  spec,
});

const reviews = { namespace: 'shop', name: 'reviews', ports: [{ name: 'http', port: 80 }] };
const dp = {
  ...obj('DestinationPolicy', examples.DestinationPolicy),
  metadata: { name: 'dp', namespace: 'shop', generation: 3 },
};
const route = (patch: Record<string, unknown>) => obj('TrafficRoute', { ...examples.TrafficRoute, ...patch });

/** The verdict the compiler gives `o`, next to a DestinationPolicy that declares the subsets. */
function verdicts(o: MeshObject, services = [reviews]) {
  const { outcomes } = compilePolicies({ objects: [dp, o], services });
  const outcome = outcomes.find((x) => x.kind === o.kind && x.name === o.metadata.name);
  if (!outcome) throw new Error(`no outcome for ${o.kind} ${o.metadata.name}`);
  return outcome;
}

describe('verdicts as the reconciler stores them', () => {
  it.each<[string, MeshObject, string, string, string]>([
    ['route with service and subsets', route({}), 'True', 'True', 'ResolvedRefs'],
    ['route to a missing service', route({ service: 'gone' }), 'True', 'False', 'ServiceNotFound'],
    [
      'route to an undeclared subset',
      route({ rules: [{ destinations: [{ service: 'reviews', subset: 'v9' }] }] }),
      'True',
      'False',
      'SubsetNotFound',
    ],
    [
      'route with a regex that does not compile',
      route({
        rules: [{ matches: [{ path: { regex: '(unclosed' } }], destinations: [{ service: 'reviews' }] }],
      }),
      'False',
      'Unknown',
      'InvalidRegex',
    ],
    [
      'route with a look-ahead (JavaScript runs it, RE2 has none)',
      route({
        rules: [{ matches: [{ path: { regex: '/a(?=b)' } }], destinations: [{ service: 'reviews' }] }],
      }),
      'False',
      'Unknown',
      'InvalidRegex',
    ],
    ['route failing our schema', route({ rules: [] }), 'False', 'Unknown', 'Invalid'],
    ['policy for a service that exists', dp, 'True', 'True', 'ResolvedRefs'],
    [
      'policy for a missing service',
      obj('DestinationPolicy', { service: 'nope' }),
      'True',
      'False',
      'ServiceNotFound',
    ],
    [
      'peer authentication',
      obj('PeerAuthentication', examples.PeerAuthentication),
      'True',
      'True',
      'ResolvedRefs',
    ],
    [
      'authorization policy',
      obj('AuthorizationPolicy', examples.AuthorizationPolicy),
      'True',
      'True',
      'ResolvedRefs',
    ],
  ])('%s', (_name, o, accepted, resolved, reason) => {
    const v = verdicts(o);
    expect(v.accepted.status).toBe(accepted);
    expect(v.resolvedRefs.status).toBe(resolved);
    expect(v.resolvedRefs.reason).toBe(reason);
  });

  it('names what is missing', () => {
    expect(verdicts(route({ service: 'gone' })).resolvedRefs.message).toBe('not found: Service shop/gone');
  });

  it('names the bad field of an invalid spec', () => {
    const bad = route({
      rules: [{ matches: [{ path: { regex: '(' } }], destinations: [{ service: 'reviews' }] }],
    });
    expect(verdicts(bad).accepted.message).toContain('rules[0].matches[0].path.regex');
  });
});

describe('policyConditions / statusUpToDate', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');

  it('stamps observedGeneration and a second-precision transition time', () => {
    const cs = policyConditions(dp, verdicts(dp), now);
    expect(cs).toEqual([
      expect.objectContaining({
        type: 'Accepted',
        status: 'True',
        observedGeneration: 3,
        lastTransitionTime: '2026-01-02T03:04:05Z',
      }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'True', observedGeneration: 3 }),
    ]);
  });

  it('keeps lastTransitionTime while the status holds and reports up to date', () => {
    const first = policyConditions(dp, verdicts(dp), now);
    const stored: MeshObject = { ...dp, status: { observedGeneration: 3, conditions: first } };
    const again = policyConditions(stored, verdicts(dp), new Date('2026-02-01T00:00:00Z'));
    expect(again).toEqual(first);
    expect(statusUpToDate(stored, again)).toBe(true);
  });

  it('is not up to date after a new generation or a changed verdict', () => {
    const first = policyConditions(dp, verdicts(dp), now);
    const stored: MeshObject = { ...dp, status: { observedGeneration: 3, conditions: first } };
    const next = { ...stored, metadata: { ...stored.metadata, generation: 4 } };
    expect(statusUpToDate(next, policyConditions(next, verdicts(dp), now))).toBe(false);
    const noService = policyConditions(stored, verdicts(dp, []), new Date('2026-03-01T00:00:00Z'));
    expect(statusUpToDate(stored, noService)).toBe(false);
    expect(noService[1]?.lastTransitionTime).toBe('2026-03-01T00:00:00Z');
  });
});
