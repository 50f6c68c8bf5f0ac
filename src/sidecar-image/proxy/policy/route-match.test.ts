import { describe, expect, it } from 'vitest';
import type { RouteRule, ServiceRoute } from '../../../api/proxy-config-policies.js';
import type { RequestView } from './request-view.js';
import { RouteMatcher } from './route-match.js';

const dest = [{ namespace: 'shop', service: 'reviews', weight: 100 }];
const rule = (name: string, matches: RouteRule['matches']): RouteRule => ({
  name,
  matches,
  destinations: dest,
});
const route = (...rules: RouteRule[]): ServiceRoute => ({
  namespace: 'shop',
  service: 'reviews',
  source: 'TrafficRoute shop/reviews',
  rules,
});

function compile(r: ServiceRoute): RouteMatcher {
  const c = RouteMatcher.compile(r);
  if (!c.ok) throw new Error(c.error);
  return c.value;
}

const req = (over: Partial<RequestView> = {}): RequestView => ({
  method: 'GET',
  path: '/',
  query: '',
  headers: {},
  ...over,
});

const table = compile(
  route(
    rule('exact', [{ path: { kind: 'exact', value: '/login' } }]),
    rule('canary', [
      {
        path: { kind: 'prefix', value: '/api/' },
        headers: [{ name: 'X-Canary', kind: 'exact', value: 'true' }],
      },
    ]),
    rule('regex', [{ path: { kind: 'regex', value: '/users/[0-9]+' }, method: 'delete' }]),
    rule('ua', [{ headers: [{ name: 'user-agent', kind: 'regex', value: '.*Mobile.*' }] }]),
    rule('no-auth', [
      { path: { kind: 'prefix', value: '/private' }, headers: [{ name: 'authorization', kind: 'absent' }] },
    ]),
    rule('query', [
      { queryParams: [{ name: 'beta', kind: 'exact', value: '1' }] },
      { queryParams: [{ name: 'v', kind: 'regex', value: '2\\.[0-9]' }] },
    ]),
    rule('default', []),
  ),
);

describe('RouteMatcher', () => {
  it.each([
    ['exact path', req({ path: '/login' }), 'exact'],
    ['exact path is not a prefix', req({ path: '/login/x' }), 'default'],
    ['prefix with header', req({ path: '/api/x', headers: { 'x-canary': 'true' } }), 'canary'],
    ['prefix, header differs', req({ path: '/api/x', headers: { 'x-canary': 'yes' } }), 'default'],
    ['prefix, header missing', req({ path: '/api/x' }), 'default'],
    ['regex path and method', req({ method: 'DELETE', path: '/users/42' }), 'regex'],
    ['regex is whole-path', req({ method: 'DELETE', path: '/users/42/x' }), 'default'],
    ['method must match', req({ method: 'GET', path: '/users/42' }), 'default'],
    ['header regex', req({ headers: { 'user-agent': 'X Mobile Y' } }), 'ua'],
    ['absent header holds', req({ path: '/private/a' }), 'no-auth'],
    [
      'absent header fails when present',
      req({ path: '/private/a', headers: { authorization: 'x' } }),
      'default',
    ],
    ['first of two matches', req({ query: 'a=b&beta=1' }), 'query'],
    ['second of two matches', req({ query: 'v=2.5' }), 'query'],
    ['query regex is whole-value', req({ query: 'v=2.55' }), 'default'],
    ['first matching rule wins', req({ path: '/login', headers: { 'user-agent': 'Mobile' } }), 'exact'],
  ])('%s', (_what, request, want) => {
    const i = table.match(request);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(['exact', 'canary', 'regex', 'ua', 'no-auth', 'query', 'default'][i]).toBe(want);
  });

  it('answers -1 when no rule matches and there is no catch-all', () => {
    const t = compile(route(rule('only', [{ method: 'POST' }])));
    expect(t.match(req())).toBe(-1);
    expect(t.match(req({ method: 'POST' }))).toBe(0);
  });

  it('refuses a regex outside RE2 with the rule and field that holds it', () => {
    const r = RouteMatcher.compile(
      route(
        rule('a', [{ path: { kind: 'prefix', value: '/' } }]),
        rule('b', [{ path: { kind: 'regex', value: '(?=x)' } }]),
      ),
    );
    expect(r).toEqual({
      ok: false,
      error: expect.stringContaining('rules[1].matches[0].path: not RE2: look-ahead'),
    });
  });
});
