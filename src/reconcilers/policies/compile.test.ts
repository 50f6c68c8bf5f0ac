import { describe, expect, it } from 'vitest';
import { proxyConfig } from '../../api/proxy-config.js';
import { trafficPolicies } from '../../api/proxy-config-policies.js';
import { canonicalJson } from '../canonical-json.js';
import type { MeshObject } from '../observed.js';
import { compilePolicies, policiesForNamespace } from './compile.js';

let clock = 0;
/** Each object one second younger than the one made before it. */
function obj(kind: MeshObject['kind'], ns: string, name: string, spec: unknown): MeshObject {
  clock += 1000;
  return {
    apiVersion: 'trellis.dev/v1alpha1',
    kind,
    metadata: { namespace: ns, name, creationTimestamp: new Date(Date.UTC(2025, 0, 1) + clock) },
    spec,
  };
}

const services = [
  { namespace: 'shop', name: 'reviews', ports: [{ name: 'http', port: 9080 }] },
  { namespace: 'shop', name: 'ratings', ports: [{ name: 'http', port: 8080 }] },
];

const dp = obj('DestinationPolicy', 'shop', 'reviews', {
  service: 'reviews',
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' } },
  ],
});
const dpLate = obj('DestinationPolicy', 'shop', 'reviews-again', { service: 'reviews' });
const dpMissing = obj('DestinationPolicy', 'shop', 'ghost', { service: 'ghost' });
const route = obj('TrafficRoute', 'shop', 'reviews', {
  service: 'reviews',
  rules: [
    {
      matches: [{ headers: [{ name: 'x-canary', exact: 'true' }] }],
      destinations: [{ service: 'reviews', subset: 'v2' }],
    },
    {
      destinations: [
        { service: 'reviews', subset: 'v1', weight: 90 },
        { service: 'reviews', subset: 'v2', weight: 10 },
      ],
    },
  ],
});
const routeLate = obj('TrafficRoute', 'shop', 'reviews-b', {
  service: 'reviews',
  rules: [{ destinations: [{ service: 'ratings' }] }],
});
const routePort = obj('TrafficRoute', 'shop', 'reviews-port', {
  service: 'reviews',
  port: 9080,
  rules: [{ destinations: [{ service: 'reviews', port: 9080 }] }],
});
const routeBadRefs = obj('TrafficRoute', 'shop', 'ratings', {
  service: 'ratings',
  rules: [
    {
      destinations: [
        { service: 'ratings', subset: 'v9', port: 1234, weight: 50 },
        { service: 'nope', weight: 50 },
      ],
    },
  ],
});
const routeBadRegex = obj('TrafficRoute', 'shop', 'bad-regex', {
  service: 'ratings',
  port: 8080,
  rules: [{ matches: [{ path: { regex: '(a)\\1' } }], destinations: [{ service: 'ratings' }] }],
});
const routeInvalid = obj('TrafficRoute', 'shop', 'invalid', { service: 'Bad Name', rules: [] });
const paMesh = obj('PeerAuthentication', 'trellis-system', 'mesh', { mode: 'STRICT' });
const paNs = obj('PeerAuthentication', 'shop', 'ns', { mode: 'PERMISSIVE' });
const paNsLate = obj('PeerAuthentication', 'shop', 'ns-late', { mode: 'DISABLE' });
const paWorkload = obj('PeerAuthentication', 'shop', 'reviews', {
  selector: { matchLabels: { app: 'reviews' } },
  portModes: [{ port: 9090, mode: 'DISABLE' }],
});
const paOther = obj('PeerAuthentication', 'other', 'ns', { mode: 'STRICT' });
const authz = obj('AuthorizationPolicy', 'shop', 'allow', {
  selector: { matchLabels: { app: 'reviews' } },
  rules: [{ from: [{ namespaces: ['shop'] }] }],
});
const authzOther = obj('AuthorizationPolicy', 'other', 'deny', { action: 'DENY', rules: [{}] });

const all = [
  dp,
  dpLate,
  dpMissing,
  route,
  routeLate,
  routePort,
  routeBadRefs,
  routeBadRegex,
  routeInvalid,
  paMesh,
  paNs,
  paNsLate,
  paWorkload,
  paOther,
  authz,
  authzOther,
];

const compiled = compilePolicies({ objects: all, services });
const outcome = (kind: string, ns: string, name: string) =>
  compiled.outcomes.find((o) => o.kind === kind && o.namespace === ns && o.name === name);

describe('compilePolicies outcomes', () => {
  it.each([
    [dp, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [
      dpLate,
      'False',
      'Conflicted',
      'Unknown',
      'Conflicted',
      'DestinationPolicy shop/reviews already applies to Service shop/reviews',
    ],
    [dpMissing, 'True', 'Accepted', 'False', 'ServiceNotFound', 'not found: Service shop/ghost'],
    [route, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [
      routeLate,
      'False',
      'Conflicted',
      'Unknown',
      'Conflicted',
      'TrafficRoute shop/reviews already routes Service shop/reviews',
    ],
    [routePort, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [
      routeBadRefs,
      'True',
      'Accepted',
      'False',
      'ServiceNotFound',
      'not found: Service shop/nope, port 1234 of Service shop/ratings, subset v9 of Service shop/ratings',
    ],
    [
      routeBadRegex,
      'False',
      'InvalidRegex',
      'Unknown',
      'InvalidRegex',
      'spec.rules[0].matches[0].path.regex: not RE2: back-reference',
    ],
    [routeInvalid, 'False', 'Invalid', 'Unknown', 'Invalid', 'spec.service'],
    [paMesh, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [paNs, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [
      paNsLate,
      'False',
      'Conflicted',
      'Unknown',
      'Conflicted',
      'PeerAuthentication shop/ns already applies to namespace shop',
    ],
    [paWorkload, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
    [authz, 'True', 'Accepted', 'True', 'ResolvedRefs', ''],
  ])('$kind %#', (o, accepted, acceptedReason, refs, refsReason, message) => {
    const got = outcome(o.kind, o.metadata.namespace, o.metadata.name);
    expect(got?.accepted.status).toBe(accepted);
    expect(got?.accepted.reason).toBe(acceptedReason);
    expect(got?.resolvedRefs.status).toBe(refs);
    expect(got?.resolvedRefs.reason).toBe(refsReason);
    expect(`${got?.accepted.message} ${got?.resolvedRefs.message}`).toContain(message);
  });

  it('gives one outcome per object, sorted by kind, namespace and name', () => {
    expect(compiled.outcomes).toHaveLength(all.length);
    const keys = compiled.outcomes.map((o) => `${o.kind}/${o.namespace}/${o.name}`);
    expect(keys).toEqual([...keys].sort());
  });
});

describe('compilePolicies document', () => {
  const p = compiled.policies;

  it('keeps only what is in effect, in a fixed order', () => {
    expect(p.routes.map((r) => r.source)).toEqual([
      'TrafficRoute shop/ratings',
      'TrafficRoute shop/reviews',
      'TrafficRoute shop/reviews-port',
    ]);
    expect(p.destinations.map((d) => d.source)).toEqual([
      'DestinationPolicy shop/ghost',
      'DestinationPolicy shop/reviews',
    ]);
    expect(p.peerAuthentication.map((x) => `${x.scope} ${x.source}`)).toEqual([
      'mesh PeerAuthentication trellis-system/mesh',
      'namespace PeerAuthentication other/ns',
      'namespace PeerAuthentication shop/ns',
      'workload PeerAuthentication shop/reviews',
    ]);
    expect(p.authorization.map((x) => x.source)).toEqual([
      'AuthorizationPolicy other/deny',
      'AuthorizationPolicy shop/allow',
    ]);
  });

  it('is a valid policies section and a valid part of a proxy config', () => {
    expect(trafficPolicies.safeParse(p).success).toBe(true);
    const doc = {
      schemaVersion: 1,
      namespace: 'shop',
      trustDomain: 'cluster.local',
      services: [],
      policies: p,
    };
    expect(proxyConfig.safeParse(doc).success).toBe(true);
  });

  it('cuts one namespace: every route and destination, its own inbound policies and the mesh-wide one', () => {
    const shop = policiesForNamespace(p, 'shop');
    expect(shop.routes).toBe(p.routes);
    expect(shop.destinations).toBe(p.destinations);
    expect(shop.peerAuthentication.map((x) => x.source)).toEqual([
      'PeerAuthentication trellis-system/mesh',
      'PeerAuthentication shop/ns',
      'PeerAuthentication shop/reviews',
    ]);
    expect(shop.authorization.map((x) => x.source)).toEqual(['AuthorizationPolicy shop/allow']);
  });

  it('is the same bytes and verdicts whatever order the objects come in', () => {
    const want = canonicalJson(compiled);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 25; i++) {
      const shuffled = [...all];
      for (let j = shuffled.length - 1; j > 0; j--) {
        const k = Math.floor(random() * (j + 1));
        [shuffled[j], shuffled[k]] = [shuffled[k] as MeshObject, shuffled[j] as MeshObject];
      }
      expect(canonicalJson(compilePolicies({ objects: shuffled, services: [...services].reverse() }))).toBe(
        want,
      );
    }
  });

  it('lets the oldest conflicting object win even when it is listed last', () => {
    const r = compilePolicies({ objects: [routeLate, route], services });
    expect(r.policies.routes.map((x) => x.source)).toEqual(['TrafficRoute shop/reviews']);
  });

  it('resolves subsets against the DestinationPolicy in effect, not a conflicted one', () => {
    const late = obj('DestinationPolicy', 'shop', 'zz', {
      service: 'ratings',
      subsets: [{ name: 'v9', labels: { v: '9' } }],
    });
    const early = {
      ...late,
      metadata: { ...late.metadata, name: 'aa', creationTimestamp: new Date(0) },
      spec: { service: 'ratings' },
    };
    const r = compilePolicies({ objects: [late, early, routeBadRefs], services });
    expect(r.outcomes.find((o) => o.name === 'ratings')?.resolvedRefs.message).toContain(
      'subset v9 of Service shop/ratings',
    );
  });

  it('compiles nothing to an empty section', () => {
    expect(compilePolicies({ objects: [], services: [] })).toEqual({
      policies: { routes: [], destinations: [], peerAuthentication: [], authorization: [] },
      outcomes: [],
    });
  });
});
