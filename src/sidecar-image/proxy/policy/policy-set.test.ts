import { describe, expect, it } from 'vitest';
import { type ProxyConfig, proxyConfig } from '../../../api/proxy-config.js';
import type { TrafficPoliciesInput } from '../../../api/proxy-config-policies.js';
import { PolicySet, RouteRuntime } from './policy-set.js';
import { RuntimeState } from './runtime-state.js';

const endpoint = (ip: string, version: string) => ({
  ip,
  ports: { http: 9080 },
  ready: true,
  labels: { app: 'reviews', version },
});

function config(policies: TrafficPoliciesInput): ProxyConfig {
  return proxyConfig.parse({
    schemaVersion: 1,
    namespace: 'shop',
    trustDomain: 'cluster.local',
    mtlsMode: 'PERMISSIVE',
    services: [
      {
        name: 'reviews',
        namespace: 'shop',
        clusterIps: ['10.96.0.10'],
        ports: [{ name: 'http', port: 9080 }],
        endpoints: [endpoint('10.0.0.1', 'v1'), endpoint('10.0.0.2', 'v1'), endpoint('10.0.0.3', 'v2')],
      },
    ],
    policies,
  });
}

const rule = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  matches: [],
  destinations: [{ namespace: 'shop', service: 'reviews', weight: 100 }],
  ...extra,
});

const policies: TrafficPoliciesInput = {
  routes: [
    {
      namespace: 'shop',
      service: 'reviews',
      source: 'TrafficRoute shop/any-port',
      rules: [
        {
          name: 'canary',
          matches: [{ headers: [{ name: 'x-canary', kind: 'exact', value: 'true' }] }],
          destinations: [{ namespace: 'shop', service: 'reviews', subset: 'v2', weight: 100 }],
          retries: {
            attempts: 5,
            retryOn: ['5xx'],
            statusCodes: [],
            grpcCodes: [],
            backoff: { baseMs: 1, maxMs: 2 },
          },
          rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000, perIdentity: false },
        },
        {
          name: 'split',
          matches: [],
          destinations: [
            { namespace: 'shop', service: 'reviews', subset: 'v1', weight: 90 },
            { namespace: 'shop', service: 'reviews', subset: 'v2', weight: 10 },
          ],
        },
      ],
    },
    {
      namespace: 'shop',
      service: 'reviews',
      port: 9443,
      source: 'TrafficRoute shop/tls-port',
      rules: [rule('tls')],
    },
  ],
  destinations: [
    {
      namespace: 'shop',
      service: 'reviews',
      source: 'DestinationPolicy shop/reviews',
      policy: {
        loadBalancer: { algorithm: 'ROUND_ROBIN' },
        connectionPool: {
          maxConnections: 10,
          maxPendingRequests: 10,
          maxConcurrentRequests: 10,
          maxRequestsPerConnection: 0,
          connectTimeoutMs: 1000,
          idleTimeoutMs: 1000,
        },
        outlierDetection: {
          consecutive5xxErrors: 1,
          consecutiveGatewayErrors: 0,
          consecutiveConnectFailures: 0,
          intervalMs: 1000,
          baseEjectionTimeMs: 1000,
          maxEjectionPercent: 100,
          panicThresholdPercent: 0,
        },
      },
      retryBudget: { percent: 20, minRetriesPerSecond: 0, windowMs: 1000 },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          policy: {
            loadBalancer: { algorithm: 'ROUND_ROBIN' },
            connectionPool: {
              maxConnections: 1,
              maxPendingRequests: 1,
              maxConcurrentRequests: 1,
              maxRequestsPerConnection: 0,
              connectTimeoutMs: 1000,
              idleTimeoutMs: 1000,
            },
            outlierDetection: {
              consecutive5xxErrors: 1,
              consecutiveGatewayErrors: 0,
              consecutiveConnectFailures: 0,
              intervalMs: 1000,
              baseEjectionTimeMs: 1000,
              maxEjectionPercent: 100,
              panicThresholdPercent: 0,
            },
          },
        },
      ],
    },
  ],
  peerAuthentication: [
    { scope: 'workload', namespace: 'shop', selector: { app: 'reviews' }, mode: 'STRICT', source: 'pa' },
  ],
  authorization: [{ namespace: 'shop', action: 'ALLOW', rules: [], source: 'deny-all' }],
};

const workload = { namespace: 'shop', labels: { app: 'reviews', version: 'v1' } };
const req = (headers: Record<string, string> = {}) => ({ method: 'GET', path: '/', query: '', headers });

function load(p: TrafficPoliciesInput, state = new RuntimeState(() => 0)): PolicySet {
  const r = PolicySet.load(config(p), workload, state);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.set;
}

describe('PolicySet', () => {
  const set = load(policies);

  it('finds the port-specific route first, then the portless one', () => {
    expect(set.route('shop', 'reviews', 9443)?.source).toBe('TrafficRoute shop/tls-port');
    expect(set.route('shop', 'reviews', 9080)?.source).toBe('TrafficRoute shop/any-port');
    expect(set.route('shop', 'ratings', 9080)).toBeUndefined();
  });

  it('selects rules and splits 90/10 exactly', () => {
    const route = set.route('shop', 'reviews', 9080);
    expect(route?.select(req({ 'x-canary': 'true' }))?.rule.name).toBe('canary');
    const split = route?.select(req());
    expect(split?.rule.name).toBe('split');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const d = split && RouteRuntime.pick(split);
      counts[d?.subset ?? '?'] = (counts[d?.subset ?? '?'] ?? 0) + 1;
    }
    expect(counts).toEqual({ v1: 1800, v2: 200 });
  });

  it('uses the rule retries, else the default policy', () => {
    const route = set.route('shop', 'reviews', 9080);
    expect(route?.rules[0]?.retry.attempts).toBe(5);
    expect(route?.rules[1]?.retry).toBe(set.defaultRetry);
    expect(set.defaultRetry.retriable(503, -1, 'none')).toBe(true);
  });

  it('gives services and subsets their own breakers and outlier detectors over their endpoints', () => {
    const svc = set.destination('shop', 'reviews');
    const v1 = set.destination('shop', 'reviews', 'v1');
    expect(set.destination('shop', 'reviews', 'v9')).toBeUndefined();
    expect(set.destination('shop', 'ghost')).toBeUndefined();
    expect(v1?.breaker).not.toBe(svc?.breaker);
    expect(v1?.budget).toBe(svc?.budget);
    expect(v1?.subsetLabels).toEqual({ version: 'v1' });
    // v1's detector knows only v1's endpoints.
    expect(v1?.outlier?.report('10.0.0.3', 500, 'none')).toBeUndefined();
    expect(v1?.outlier?.report('10.0.0.1', 500, 'none')).toBe('consecutive_5xx');
  });

  it('gives every service a default runtime without a DestinationPolicy', () => {
    const s = load({});
    const d = s.destination('shop', 'reviews');
    expect(d?.policy.connectionPool.maxConcurrentRequests).toBe(1024);
    expect(d?.outlier).toBeUndefined();
  });

  it('resolves the workload inbound policies', () => {
    expect(set.mtls.modeFor(9080)).toBe('STRICT');
    expect(
      set.authz.decide({ principal: undefined, namespace: undefined, method: 'GET', path: '/', port: 9080 })
        .allowed,
    ).toBe(false);
  });

  it('keeps rate-limit buckets and breakers across a reload with the same settings', () => {
    const state = new RuntimeState(() => 0);
    const first = load(policies, state);
    expect(first.route('shop', 'reviews', 9080)?.rules[0]?.rateLimiter?.take(undefined).allowed).toBe(true);
    first.destination('shop', 'reviews')?.breaker.startRequest();
    const second = load(policies, state);
    expect(second.route('shop', 'reviews', 9080)?.rules[0]?.rateLimiter?.take(undefined).allowed).toBe(false);
    expect(second.destination('shop', 'reviews')?.breaker.active).toBe(1);
  });

  it('refuses a document whose regex the engine cannot compile', () => {
    const c = config(policies);
    const bad: ProxyConfig = {
      ...c,
      policies: {
        routes: [
          {
            namespace: 'shop',
            service: 'reviews',
            source: 'TrafficRoute shop/bad',
            rules: [{ ...rule('r'), matches: [{ path: { kind: 'regex', value: 'a(?=b)' } }] }],
          },
        ],
        destinations: [],
        peerAuthentication: [],
        authorization: [],
      },
    };
    expect(PolicySet.load(bad, workload, new RuntimeState())).toEqual({
      ok: false,
      errors: [expect.stringContaining('TrafficRoute shop/bad: rules[0].matches[0].path: not RE2')],
    });
  });
});
