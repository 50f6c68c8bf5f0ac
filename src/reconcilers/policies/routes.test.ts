import { describe, expect, it } from 'vitest';
import { type TrafficRouteSpecInput, trafficRouteSpec } from '../../api/crds/index.js';
import { compileRoute, routeRefs } from './routes.js';

const compile = (spec: TrafficRouteSpecInput) =>
  compileRoute(trafficRouteSpec.parse(spec), 'shop', 'TrafficRoute shop/r');

describe('compileRoute', () => {
  it('fills defaults, resolves namespaces, converts durations and gRPC codes', () => {
    const route = compile({
      service: 'reviews',
      rules: [
        {
          name: 'split',
          matches: [
            {
              path: { prefix: '/api/' },
              method: 'GET',
              headers: [
                { name: 'X-Canary', exact: 'true' },
                { name: 'Authorization', absent: true },
              ],
              queryParams: [{ name: 'Beta', regex: '[0-9]+' }],
            },
          ],
          destinations: [
            { service: 'reviews', subset: 'v1', weight: 90 },
            { service: 'reviews', namespace: 'other', subset: 'v2', port: 9080, weight: 10 },
          ],
          timeout: '5s',
          retries: {
            attempts: 3,
            perTryTimeout: '1s',
            retryOn: ['reset', '5xx', 'reset'],
            retryOnStatusCodes: [504, 503],
          },
          fault: { delay: { fixedDelay: '1.5s', percent: 10 }, abort: { httpStatus: 503 } },
          mirror: { service: 'reviews-shadow', percent: 5 },
          rateLimit: { maxTokens: 100, fillInterval: '100ms', tokensPerFill: 10 },
          headers: {
            request: { set: { 'X-B': '2', 'X-A': '1' }, remove: ['X-Drop', 'x-drop'] },
            response: { add: { 'X-Served-By': 'trellis' } },
          },
        },
      ],
    });
    expect(route).toEqual({
      namespace: 'shop',
      service: 'reviews',
      source: 'TrafficRoute shop/r',
      rules: [
        {
          name: 'split',
          matches: [
            {
              path: { kind: 'prefix', value: '/api/' },
              method: 'GET',
              headers: [
                { name: 'x-canary', kind: 'exact', value: 'true' },
                { name: 'authorization', kind: 'absent' },
              ],
              queryParams: [{ name: 'Beta', kind: 'regex', value: '[0-9]+' }],
            },
          ],
          destinations: [
            { namespace: 'shop', service: 'reviews', subset: 'v1', weight: 90 },
            { namespace: 'other', service: 'reviews', subset: 'v2', port: 9080, weight: 10 },
          ],
          timeoutMs: 5000,
          retries: {
            attempts: 3,
            perTryTimeoutMs: 1000,
            retryOn: ['5xx', 'reset'],
            statusCodes: [503, 504],
            grpcCodes: [1, 14],
            backoff: { baseMs: 25, maxMs: 250 },
          },
          fault: { delay: { delayMs: 1500, percent: 10 }, abort: { httpStatus: 503, percent: 100 } },
          mirror: { namespace: 'shop', service: 'reviews-shadow', percent: 5 },
          rateLimit: { maxTokens: 100, tokensPerFill: 10, fillIntervalMs: 100, perIdentity: false },
          requestHeaders: {
            set: [
              ['x-a', '1'],
              ['x-b', '2'],
            ],
            remove: ['x-drop'],
          },
          responseHeaders: { add: [['x-served-by', 'trellis']] },
        },
      ],
    });
    expect(
      routeRefs(route).map((r) => `${r.namespace}/${r.service}/${r.subset ?? ''}/${r.port ?? ''}`),
    ).toEqual(['shop/reviews//', 'shop/reviews/v1/', 'other/reviews/v2/9080', 'shop/reviews-shadow//']);
  });

  it('names unnamed rules by index and gives a lone destination weight 100', () => {
    const route = compile({ service: 'a', port: 8080, rules: [{ destinations: [{ service: 'b' }] }] });
    expect(route.port).toBe(8080);
    expect(route.rules[0]).toEqual({
      name: 'rule-0',
      matches: [],
      destinations: [{ namespace: 'shop', service: 'b', weight: 100 }],
    });
  });

  it.each([
    [
      'a regex outside RE2',
      { matches: [{ path: { regex: '(?!x)' } }], destinations: [{ service: 'b' }] },
      'InvalidRegex',
      'spec.rules[0].matches[0].path.regex: not RE2: look-ahead',
    ],
    [
      'a header regex JS cannot run',
      { matches: [{ headers: [{ name: 'x', regex: '(' }] }], destinations: [{ service: 'b' }] },
      'InvalidRegex',
      'spec.rules[0].matches[0].headers[0].regex',
    ],
    [
      'two path kinds',
      { matches: [{ path: { exact: '/a', prefix: '/a' } }], destinations: [{ service: 'b' }] },
      'Invalid',
      'spec.rules[0].matches[0].path: set exactly one',
    ],
    [
      'a header condition without a test',
      { matches: [{ headers: [{ name: 'x' }] }], destinations: [{ service: 'b' }] },
      'Invalid',
      'set exactly one of exact, regex and absent',
    ],
    [
      'weights not summing to 100',
      {
        destinations: [
          { service: 'b', weight: 50 },
          { service: 'c', weight: 40 },
        ],
      },
      'Invalid',
      'weights must sum to 100, not 90',
    ],
  ])('refuses %s', (_what, rule, reason, message) => {
    expect(() => compile({ service: 'a', rules: [rule as TrafficRouteSpecInput['rules'][number]] })).toThrow(
      expect.objectContaining({ reason, message: expect.stringContaining(message) }),
    );
  });
});
