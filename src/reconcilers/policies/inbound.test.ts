import { describe, expect, it } from 'vitest';
import {
  type AuthorizationPolicySpecInput,
  authorizationPolicySpec,
  type PeerAuthenticationSpecInput,
  peerAuthenticationSpec,
} from '../../api/crds/index.js';
import { compileAuthorization, compilePeerAuthentication, stringMatch } from './inbound.js';

const pa = (namespace: string, spec: PeerAuthenticationSpecInput) =>
  compilePeerAuthentication(peerAuthenticationSpec.parse(spec), namespace, 'src', 'trellis-system');

describe('compilePeerAuthentication', () => {
  it.each([
    [
      'trellis-system',
      { mode: 'STRICT' },
      { scope: 'mesh', namespace: 'trellis-system', mode: 'STRICT', source: 'src' },
    ],
    ['shop', { mode: 'DISABLE' }, { scope: 'namespace', namespace: 'shop', mode: 'DISABLE', source: 'src' }],
    [
      'shop',
      {
        selector: { matchLabels: { b: '2', a: '1' } },
        portModes: [
          { port: 9090, mode: 'DISABLE' },
          { port: 80, mode: 'STRICT' },
        ],
      },
      {
        scope: 'workload',
        namespace: 'shop',
        selector: { a: '1', b: '2' },
        portModes: [
          { port: 80, mode: 'STRICT' },
          { port: 9090, mode: 'DISABLE' },
        ],
        source: 'src',
      },
    ],
    [
      'trellis-system',
      { selector: { matchLabels: { app: 'x' } }, mode: 'STRICT' },
      {
        scope: 'workload',
        namespace: 'trellis-system',
        selector: { app: 'x' },
        mode: 'STRICT',
        source: 'src',
      },
    ],
  ] as const)('in %s: %j', (namespace, spec, want) => {
    expect(pa(namespace, spec as PeerAuthenticationSpecInput)).toEqual(want);
  });

  it.each([
    [{}, 'set mode, portModes or both'],
    [{ portModes: [{ port: 1, mode: 'STRICT' }] }, 'portModes needs a selector'],
  ] as const)('refuses %j', (spec, message) => {
    expect(() => pa('shop', spec as PeerAuthenticationSpecInput)).toThrow(message);
  });
});

describe('compileAuthorization', () => {
  it.each([
    ['*', { kind: 'any' }],
    ['*/sa/admin', { kind: 'suffix', value: '/sa/admin' }],
    ['spiffe://cluster.local/ns/shop/*', { kind: 'prefix', value: 'spiffe://cluster.local/ns/shop/' }],
    ['/exact', { kind: 'exact', value: '/exact' }],
  ])('reads %s as %j', (pattern, want) => {
    expect(stringMatch(pattern)).toEqual(want);
  });

  it('keeps only the fields set, methods upper case, action defaulted', () => {
    const spec: AuthorizationPolicySpecInput = {
      selector: { matchLabels: { app: 'reviews' } },
      rules: [
        { from: [{ principals: ['spiffe://cluster.local/ns/shop/sa/frontend'], notNamespaces: ['evil'] }] },
        { to: [{ methods: ['GET'], paths: ['/api/*'], notPorts: [9090] }] },
        {},
      ],
    };
    expect(compileAuthorization(authorizationPolicySpec.parse(spec), 'shop', 'src')).toEqual({
      namespace: 'shop',
      selector: { app: 'reviews' },
      action: 'ALLOW',
      rules: [
        {
          from: [
            {
              principals: [{ kind: 'exact', value: 'spiffe://cluster.local/ns/shop/sa/frontend' }],
              notNamespaces: ['evil'],
            },
          ],
        },
        { to: [{ methods: ['GET'], paths: [{ kind: 'prefix', value: '/api/' }], notPorts: [9090] }] },
        {},
      ],
      source: 'src',
    });
  });

  it('a policy without rules compiles to one that matches nothing', () => {
    expect(
      compileAuthorization(authorizationPolicySpec.parse({ action: 'DENY' }), 'shop', 's').rules,
    ).toEqual([]);
  });
});
