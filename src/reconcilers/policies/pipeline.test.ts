import { describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../api/proxy-config.js';
import { PolicySet, RouteRuntime } from '../../sidecar-image/proxy/policy/policy-set.js';
import { RuntimeState } from '../../sidecar-image/proxy/policy/runtime-state.js';
import { canonicalJson } from '../canonical-json.js';
import type { MeshObject } from '../observed.js';
import { compilePolicies, policiesForNamespace } from './compile.js';

/** CRs in, proxy decisions out: what the reconciler writes is what the proxy loads and obeys. */
const mk = (kind: MeshObject['kind'], name: string, spec: unknown): MeshObject => ({
  apiVersion: 'trellis.dev/v1alpha1',
  kind,
  metadata: { namespace: 'shop', name },
  spec,
});

const objects = [
  mk('DestinationPolicy', 'reviews', {
    service: 'reviews',
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, policy: { rateLimit: { maxTokens: 2, fillInterval: '1m' } } },
    ],
    outlierDetection: { consecutive5xxErrors: 2 },
  }),
  mk('TrafficRoute', 'reviews', {
    service: 'reviews',
    rules: [
      {
        matches: [{ headers: [{ name: 'X-Canary', exact: 'true' }] }],
        destinations: [{ service: 'reviews', subset: 'v2' }],
        headers: { response: { set: { 'X-Route': 'canary' } } },
      },
      {
        destinations: [
          { service: 'reviews', subset: 'v1', weight: 90 },
          { service: 'reviews', subset: 'v2', weight: 10 },
        ],
        retries: { attempts: 3, retryOn: ['gateway-error'] },
      },
    ],
  }),
  mk('PeerAuthentication', 'strict', { mode: 'STRICT' }),
  mk('AuthorizationPolicy', 'frontend-only', {
    selector: { matchLabels: { app: 'reviews' } },
    rules: [
      { from: [{ principals: ['spiffe://cluster.local/ns/shop/sa/frontend'] }], to: [{ methods: ['GET'] }] },
    ],
  }),
];

const services = [
  {
    name: 'reviews',
    namespace: 'shop',
    clusterIps: ['10.96.0.10'],
    ports: [{ name: 'http', port: 9080 }],
    endpoints: ['v1', 'v1', 'v2'].map((version, i) => ({
      ip: `10.0.0.${i + 1}`,
      ports: { http: 9080 },
      ready: true,
      labels: { app: 'reviews', version },
    })),
  },
];

describe('CRs → proxy config → proxy decisions', () => {
  const compiled = compilePolicies({ objects, services });
  const text = canonicalJson({
    schemaVersion: 1,
    namespace: 'shop',
    trustDomain: 'cluster.local',
    services,
    policies: policiesForNamespace(compiled.policies, 'shop'),
  });
  const parsed = parseProxyConfig(text);
  if (!parsed.ok) throw new Error(parsed.error);
  const loaded = PolicySet.load(
    parsed.config,
    { namespace: 'shop', labels: { app: 'reviews' } },
    new RuntimeState(() => 0),
  );
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const set = loaded.set;
  const route = set.route('shop', 'reviews', 9080);

  it('accepts every CR', () => {
    expect(compiled.outcomes.map((o) => `${o.kind} ${o.accepted.reason} ${o.resolvedRefs.reason}`)).toEqual([
      'AuthorizationPolicy Accepted ResolvedRefs',
      'DestinationPolicy Accepted ResolvedRefs',
      'PeerAuthentication Accepted ResolvedRefs',
      'TrafficRoute Accepted ResolvedRefs',
    ]);
  });

  it('routes by header (case-insensitive) and splits 90/10 exactly over 2000 requests', () => {
    const canary = route?.select({ method: 'GET', path: '/', query: '', headers: { 'x-canary': 'true' } });
    const headers: Record<string, string> = {};
    canary?.responseHeaders.apply(headers);
    expect(headers).toEqual({ 'x-route': 'canary' });
    const rest = route?.select({ method: 'GET', path: '/', query: '', headers: {} });
    expect(rest?.retry.attempts).toBe(3);
    let v2 = 0;
    for (let i = 0; i < 2000; i++) if (rest && RouteRuntime.pick(rest)?.subset === 'v2') v2++;
    expect(v2).toBe(200);
  });

  it('applies the subset rate limit and the inherited outlier detection', () => {
    const v2 = set.destination('shop', 'reviews', 'v2');
    expect([
      v2?.rateLimiter?.take(undefined),
      v2?.rateLimiter?.take(undefined),
      v2?.rateLimiter?.take(undefined),
    ]).toEqual([{ allowed: true }, { allowed: true }, { allowed: false, retryAfterSeconds: 60 }]);
    const v1 = set.destination('shop', 'reviews', 'v1');
    expect(v1?.rateLimiter).toBeUndefined();
    v1?.outlier?.report('10.0.0.1', 500, 'none');
    expect(v1?.outlier?.report('10.0.0.1', 500, 'none')).toBe('consecutive_5xx');
  });

  it('enforces the namespace mTLS mode and the authorization policy', () => {
    expect(set.mtls.modeFor(9080)).toBe('STRICT');
    const frontend = 'spiffe://cluster.local/ns/shop/sa/frontend';
    const decide = (principal: string | undefined, method: string) =>
      set.authz.decide({ principal, namespace: 'shop', method, path: '/', port: 9080 }).allowed;
    expect([
      decide(frontend, 'GET'),
      decide(frontend, 'POST'),
      decide('spiffe://cluster.local/ns/shop/sa/other', 'GET'),
    ]).toEqual([true, false, false]);
  });
});
