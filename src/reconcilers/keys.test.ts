import { describe, expect, it } from 'vitest';
import { desiredCertificates, meshIssuerRef } from './identity.js';
import { identityKeys, proxyConfigKeys } from './keys.js';
import { mesh, pod } from './testing/objects.js';

const pods = [pod('b', 'x', { meshed: true }), pod('a', 'y', { meshed: true }), pod('c', 'z')];

describe('proxyConfigKeys', () => {
  it('names every meshed namespace, each namespace with a ConfigMap, and the changed one, sorted', () => {
    const proxyConfigMaps = [{ metadata: { namespace: 'old', name: 'trellis-proxy-config' } }];
    expect(proxyConfigKeys({ pods, proxyConfigMaps }, 'c')).toEqual(['a', 'b', 'c', 'old']);
    expect(proxyConfigKeys({ pods, proxyConfigMaps: [] }, undefined)).toEqual(['a', 'b']);
  });
});

describe('identityKeys', () => {
  it('names the changed namespace alone', () => {
    expect(identityKeys({ pods, identityCertificates: [] }, 'c')).toEqual(['c']);
  });

  it('names every namespace with meshed pods or identities after a cluster-wide change', () => {
    const state = {
      meshConfig: mesh(),
      services: [],
      endpointSlices: [],
      pods: [pod('gone', 'p', { meshed: true })],
      meshObjects: [],
      proxyConfigMaps: [],
      identityCertificates: [],
    };
    const identityCertificates = desiredCertificates(state, 'gone', meshIssuerRef);
    expect(identityKeys({ pods, identityCertificates }, undefined)).toEqual(['a', 'b', 'gone']);
  });
});
