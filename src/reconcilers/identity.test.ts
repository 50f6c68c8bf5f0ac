import { describe, expect, it } from 'vitest';
import { desiredCertificates, meshedServiceAccounts, meshIssuerRef } from './identity.js';
import type { ObservedState } from './observed.js';
import { mesh, pod, reorder } from './testing/objects.js';

const state = (over: Partial<ObservedState> = {}): ObservedState => ({
  meshConfig: mesh({ trustDomain: 'example.org' }, 'mesh-uid'),
  services: [],
  endpointSlices: [],
  pods: [
    pod('shop', 'web-1', { meshed: true, sa: 'web' }),
    pod('shop', 'web-2', { meshed: true, sa: 'web' }),
    pod('shop', 'api-1', { meshed: true, sa: 'api' }),
    pod('shop', 'plain', { sa: 'plain' }),
    pod('shop', 'done', { meshed: true, sa: 'batch', phase: 'Succeeded' }),
    pod('other', 'x', { meshed: true, sa: 'other' }),
    pod('shop', 'long', { meshed: true, sa: 'a'.repeat(240) }),
  ],
  meshObjects: [],
  proxyConfigMaps: [],
  identityCertificates: [],
  ...over,
});

describe('meshedServiceAccounts', () => {
  it('lists each service account of running meshed pods once, sorted, skipping names too long for a Secret', () => {
    expect(meshedServiceAccounts(state(), 'shop')).toEqual(['api', 'web']);
  });
});

describe('desiredCertificates', () => {
  it('makes a Certificate per service account with the SPIFFE URI SAN and MeshConfig defaults', () => {
    const [api, web] = desiredCertificates(state(), 'shop', meshIssuerRef);
    expect(api?.metadata.name).toBe('trellis-identity-api');
    expect(web?.spec).toEqual({
      secretName: 'trellis-identity-web',
      uris: ['spiffe://example.org/ns/shop/sa/web'],
      duration: '24h',
      renewBefore: '8h',
      issuerRef: { name: 'trellis-mesh-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      secretTemplate: {
        labels: {
          'app.kubernetes.io/managed-by': 'trellis-operator',
          'app.kubernetes.io/component': 'identity',
        },
      },
    });
    expect(web?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'MeshConfig', uid: 'mesh-uid' }),
    ]);
    expect(web?.metadata.annotations?.['trellis.dev/service-account']).toBe('web');
  });

  it('takes duration and renewBefore from the MeshConfig, and the issuer given', () => {
    const s = state({
      meshConfig: mesh({ certificates: { workload: { duration: '48h', renewBefore: '12h' } } }),
    });
    const issuer = { name: 'test-ca', kind: 'Issuer' as const, group: 'cert-manager.io' };
    const [cert] = desiredCertificates(s, 'shop', issuer);
    expect(cert?.spec).toMatchObject({ duration: '48h', renewBefore: '12h', issuerRef: issuer });
  });

  it('is deterministic, and its hash changes with the spec', () => {
    const a = desiredCertificates(state(), 'shop', meshIssuerRef);
    const b = desiredCertificates(state({ pods: reorder(state().pods) }), 'shop', meshIssuerRef);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = desiredCertificates(
      state({ meshConfig: mesh({ trustDomain: 'other.org' }) }),
      'shop',
      meshIssuerRef,
    );
    const hash = (x: typeof a) => x[0]?.metadata.annotations?.['trellis.dev/config-hash'];
    expect(hash(c)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(c)).not.toBe(hash(a));
  });

  it('is empty without a MeshConfig or meshed pods', () => {
    expect(desiredCertificates(state({ meshConfig: undefined }), 'shop', meshIssuerRef)).toEqual([]);
    expect(desiredCertificates(state(), 'empty', meshIssuerRef)).toEqual([]);
  });
});
