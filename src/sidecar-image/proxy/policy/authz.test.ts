import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../../api/proxy-config-policies.js';
import { type AuthzRequest, namespaceOfPrincipal, WorkloadAuthz } from './authz.js';

const frontend = 'spiffe://cluster.local/ns/shop/sa/frontend';
const monitor = 'spiffe://cluster.local/ns/monitoring/sa/prometheus';
const attacker = 'spiffe://cluster.local/ns/evil/sa/attacker';

const req = (over: Partial<AuthzRequest> = {}): AuthzRequest => {
  const principal = 'principal' in over ? over.principal : frontend;
  return {
    principal,
    namespace: principal ? namespaceOfPrincipal(principal) : undefined,
    method: 'GET',
    path: '/api/items',
    port: 8080,
    ...over,
  };
};

const allow: AuthorizationPolicy = {
  namespace: 'shop',
  selector: { app: 'reviews' },
  action: 'ALLOW',
  source: 'AuthorizationPolicy shop/allow',
  rules: [
    {
      from: [{ principals: [{ kind: 'exact', value: frontend }] }, { namespaces: ['monitoring'] }],
      to: [{ methods: ['GET'], paths: [{ kind: 'prefix', value: '/api/' }] }],
    },
    { from: [{ namespaces: ['monitoring'] }], to: [{ ports: [9090] }] },
  ],
};
const deny: AuthorizationPolicy = {
  namespace: 'shop',
  action: 'DENY',
  source: 'AuthorizationPolicy shop/deny',
  rules: [
    { from: [{ principals: [{ kind: 'suffix', value: '/sa/attacker' }] }] },
    { to: [{ paths: [{ kind: 'exact', value: '/admin' }] }] },
  ],
};

const reviews = new WorkloadAuthz([allow, deny], 'shop', { app: 'reviews' });

describe('WorkloadAuthz', () => {
  it.each([
    ['allowed by principal, method and path', req(), true, 'allowed'],
    ['allowed by namespace', req({ principal: monitor }), true, 'allowed'],
    ['not allowed: wrong method', req({ method: 'POST' }), false, 'not-allowed'],
    ['not allowed: wrong path', req({ path: '/other' }), false, 'not-allowed'],
    ['not allowed: plaintext caller', req({ principal: undefined }), false, 'not-allowed'],
    [
      'DENY wins over a matching ALLOW',
      req({ path: '/admin', principal: monitor, port: 9090 }),
      false,
      'denied',
    ],
    ['DENY by principal suffix', req({ principal: attacker }), false, 'denied'],
    [
      'second ALLOW rule, by port',
      req({ principal: monitor, method: 'DELETE', path: '/x', port: 9090 }),
      true,
      'allowed',
    ],
    [
      'a kubelet probe on the admin port',
      req({ principal: undefined, path: '/app-health/app/livez', port: 15020 }),
      true,
      'probe',
    ],
    [
      'other admin paths are not exempt',
      req({ principal: undefined, path: '/config', port: 15020 }),
      false,
      'not-allowed',
    ],
  ])('%s', (_what, request, allowed, reason) => {
    const d = reviews.decide(request);
    expect(d.allowed).toBe(allowed);
    expect(d.reason).toBe(reason);
  });

  it('names the deciding policy', () => {
    expect(reviews.decide(req()).policy).toBe('AuthorizationPolicy shop/allow');
    expect(reviews.decide(req({ principal: attacker })).policy).toBe('AuthorizationPolicy shop/deny');
  });

  it('allows everything with no policy, and only DENY applies without ALLOW', () => {
    expect(new WorkloadAuthz([], 'shop', {}).decide(req()).reason).toBe('no-policy');
    const denyOnly = new WorkloadAuthz([deny], 'shop', { app: 'ratings' });
    expect(denyOnly.decide(req()).allowed).toBe(true);
    expect(denyOnly.decide(req({ path: '/admin' })).allowed).toBe(false);
  });

  it('ignores policies that do not select the workload', () => {
    const ratings = new WorkloadAuthz([allow, deny], 'shop', { app: 'ratings' });
    expect(ratings.policyCount).toBe(1);
    expect(ratings.decide(req({ method: 'POST' })).allowed).toBe(true);
    expect(new WorkloadAuthz([allow, deny], 'other', { app: 'reviews' }).policyCount).toBe(0);
  });

  it('an ALLOW policy without rules denies everything', () => {
    const none: AuthorizationPolicy = { namespace: 'shop', action: 'ALLOW', rules: [], source: 'x' };
    expect(new WorkloadAuthz([none], 'shop', {}).decide(req()).reason).toBe('not-allowed');
  });

  it('an empty rule matches every request', () => {
    const all: AuthorizationPolicy = { namespace: 'shop', action: 'ALLOW', rules: [{}], source: 'x' };
    expect(new WorkloadAuthz([all], 'shop', {}).decide(req({ principal: undefined })).allowed).toBe(true);
  });

  it.each([
    [[{ kind: 'any' }], frontend, true],
    [[{ kind: 'any' }], undefined, false],
    [[{ kind: 'prefix', value: 'spiffe://cluster.local/ns/shop/' }], frontend, true],
    [[{ kind: 'prefix', value: 'spiffe://cluster.local/ns/shop/' }], monitor, false],
  ] as const)('principals %j with caller %s: %s', (principals, principal, want) => {
    const p: AuthorizationPolicy = {
      namespace: 'shop',
      action: 'ALLOW',
      rules: [{ from: [{ principals: [...principals] }] }],
      source: 'x',
    };
    expect(new WorkloadAuthz([p], 'shop', {}).decide(req({ principal })).allowed).toBe(want);
  });

  it.each([
    [
      'notPrincipals excludes',
      { notPrincipals: [{ kind: 'exact' as const, value: frontend }] },
      frontend,
      false,
    ],
    [
      'notPrincipals holds for others',
      { notPrincipals: [{ kind: 'exact' as const, value: frontend }] },
      monitor,
      true,
    ],
    ['notNamespaces excludes', { notNamespaces: ['shop'] }, frontend, false],
    ['notNamespaces holds for plaintext', { notNamespaces: ['shop'] }, undefined, true],
  ])('%s', (_what, source, principal, want) => {
    const p: AuthorizationPolicy = {
      namespace: 'shop',
      action: 'ALLOW',
      rules: [{ from: [source] }],
      source: 'x',
    };
    expect(new WorkloadAuthz([p], 'shop', {}).decide(req({ principal })).allowed).toBe(want);
  });

  it('on TCP, HTTP-only fields never match in ALLOW and are ignored in DENY', () => {
    const tcp = req({ method: undefined, path: undefined, port: 5432 });
    const allowGet: AuthorizationPolicy = {
      namespace: 'shop',
      action: 'ALLOW',
      rules: [{ to: [{ methods: ['GET'] }] }],
      source: 'a',
    };
    expect(new WorkloadAuthz([allowGet], 'shop', {}).decide(tcp).allowed).toBe(false);
    const allowPort: AuthorizationPolicy = {
      namespace: 'shop',
      action: 'ALLOW',
      rules: [{ to: [{ ports: [5432] }] }],
      source: 'a',
    };
    expect(new WorkloadAuthz([allowPort], 'shop', {}).decide(tcp).allowed).toBe(true);
    const denyPath: AuthorizationPolicy = {
      namespace: 'shop',
      action: 'DENY',
      rules: [{ to: [{ paths: [{ kind: 'exact', value: '/admin' }], ports: [5432] }] }],
      source: 'd',
    };
    expect(new WorkloadAuthz([denyPath], 'shop', {}).decide(tcp).allowed).toBe(false);
    expect(new WorkloadAuthz([denyPath], 'shop', {}).decide({ ...tcp, port: 5433 }).allowed).toBe(true);
  });

  it.each([
    ['spiffe://cluster.local/ns/shop/sa/frontend', 'shop'],
    ['spiffe://td/ns/a-b/sa/x', 'a-b'],
    ['spiffe://cluster.local/shop/frontend', undefined],
  ])('namespace of %s is %s', (principal, ns) => {
    expect(namespaceOfPrincipal(principal)).toBe(ns);
  });
});
