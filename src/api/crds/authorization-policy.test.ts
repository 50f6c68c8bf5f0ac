import { describe, expect, it } from 'vitest';
import { authorizationPolicyCrd, authorizationPolicySpec } from './authorization-policy.js';

const withPrincipal = (p: string) => ({ rules: [{ from: [{ principals: [p] }] }] });
const withPath = (p: string) => ({ rules: [{ to: [{ paths: [p] }] }] });

describe('AuthorizationPolicy spec', () => {
  it('defaults the action to ALLOW', () => {
    expect(authorizationPolicySpec.parse({})).toEqual({ action: 'ALLOW' });
  });

  it.each([
    'spiffe://cluster.local/ns/shop/sa/frontend',
    'spiffe://cluster.local/ns/shop/*',
    '*/sa/frontend',
    '*',
  ])('accepts principal %s', (p) => {
    expect(authorizationPolicySpec.safeParse(withPrincipal(p)).success).toBe(true);
  });

  it.each(['spiffe://*/ns/x/sa/y', '**', '*a*'])('refuses principal %s (a wildcard only at one end)', (p) => {
    expect(authorizationPolicySpec.safeParse(withPrincipal(p)).success).toBe(false);
  });

  it.each(['/api/*', '/health', '*', '*.json'])('accepts path %s', (p) => {
    expect(authorizationPolicySpec.safeParse(withPath(p)).success).toBe(true);
  });

  it.each(['api', '/a*b'])('refuses path %s', (p) => {
    expect(authorizationPolicySpec.safeParse(withPath(p)).success).toBe(false);
  });

  it('refuses an unknown action and a lowercase method', () => {
    expect(authorizationPolicySpec.safeParse({ action: 'AUDIT' }).success).toBe(false);
    expect(authorizationPolicySpec.safeParse({ rules: [{ to: [{ methods: ['get'] }] }] }).success).toBe(
      false,
    );
  });
});

describe('AuthorizationPolicy CRD', () => {
  it('is namespaced with short name ap and shows its action', () => {
    expect(authorizationPolicyCrd.shortNames).toEqual(['ap']);
    expect(authorizationPolicyCrd.printerColumns[0]).toMatchObject({
      name: 'Action',
      jsonPath: '.spec.action',
    });
  });
});
