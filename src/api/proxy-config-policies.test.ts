import { describe, expect, it } from 'vitest';
import { parseProxyConfig } from './proxy-config.js';
import { trafficPolicies } from './proxy-config-policies.js';

const base = { schemaVersion: 1, namespace: 'shop', trustDomain: 'cluster.local', services: [] };
const route = (rule: Record<string, unknown>) => ({
  routes: [
    {
      namespace: 'shop',
      service: 'reviews',
      source: 'TrafficRoute shop/reviews',
      rules: [
        {
          name: 'r',
          matches: [],
          destinations: [{ namespace: 'shop', service: 'reviews', weight: 100 }],
          ...rule,
        },
      ],
    },
  ],
});

describe('proxy config policies section', () => {
  it('is optional: documents without it keep parsing', () => {
    const r = parseProxyConfig(JSON.stringify(base));
    expect(r.ok && r.config.policies).toBeUndefined();
  });

  it('fills empty lists', () => {
    expect(trafficPolicies.parse({})).toEqual({
      routes: [],
      destinations: [],
      peerAuthentication: [],
      authorization: [],
    });
  });

  it('accepts a full example', () => {
    const policies = {
      ...route({
        matches: [
          {
            path: { kind: 'regex', value: '/api/v[0-9]+/.*' },
            method: 'GET',
            headers: [{ name: 'x-canary', kind: 'absent' }],
            queryParams: [{ name: 'q', kind: 'exact', value: '1' }],
          },
        ],
        timeoutMs: 5000,
        retries: {
          attempts: 2,
          retryOn: ['5xx'],
          statusCodes: [503],
          grpcCodes: [14],
          backoff: { baseMs: 25, maxMs: 250 },
        },
        fault: { abort: { httpStatus: 503, percent: 1.5 } },
        mirror: { namespace: 'shop', service: 'shadow', percent: 10 },
        rateLimit: { maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 1000, perIdentity: false },
        requestHeaders: { set: [['x-a', '1']], remove: ['x-b'] },
      }),
      peerAuthentication: [{ scope: 'mesh', namespace: 'trellis-system', mode: 'STRICT', source: 's' }],
      authorization: [
        {
          namespace: 'shop',
          action: 'DENY',
          rules: [{ from: [{ principals: [{ kind: 'any' }] }], to: [{ ports: [8080] }] }],
          source: 's',
        },
      ],
    };
    const r = parseProxyConfig(JSON.stringify({ ...base, policies }));
    expect(r).toMatchObject({ ok: true });
  });

  it.each([
    [
      'a regex outside RE2, at its path',
      route({ matches: [{ path: { kind: 'regex', value: '(?<=a)b' } }] }),
      'policies.routes.0.rules.0.matches.0.path.value: not RE2: look-behind',
    ],
    [
      'a header regex JavaScript refuses',
      route({ matches: [{ headers: [{ name: 'x', kind: 'regex', value: '[' }] }] }),
      'policies.routes.0.rules.0.matches.0.headers.0.value: invalid regex',
    ],
    [
      'a rule without destinations',
      {
        routes: [
          {
            namespace: 'a',
            service: 'b',
            source: 's',
            rules: [{ name: 'r', matches: [], destinations: [] }],
          },
        ],
      },
      'policies.routes.0.rules.0.destinations',
    ],
    [
      'an unknown retry condition',
      route({
        retries: {
          attempts: 1,
          retryOn: ['sometimes'],
          statusCodes: [],
          grpcCodes: [],
          backoff: { baseMs: 1, maxMs: 2 },
        },
      }),
      'policies.routes.0.rules.0.retries.retryOn.0',
    ],
    [
      'a zero fill interval',
      route({ rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 0, perIdentity: false } }),
      'policies.routes.0.rules.0.rateLimit.fillIntervalMs',
    ],
    ['an unknown field', { routes: [], extra: 1 }, 'policies: Unrecognized key'],
    [
      'an unknown mTLS mode',
      { peerAuthentication: [{ scope: 'mesh', namespace: 'x', mode: 'UNSET', source: 's' }] },
      'policies.peerAuthentication.0.mode',
    ],
  ])('refuses %s', (_what, policies, path) => {
    const r = parseProxyConfig(JSON.stringify({ ...base, policies }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(path);
  });
});
