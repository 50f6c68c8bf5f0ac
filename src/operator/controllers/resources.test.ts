import { describe, expect, it } from 'vitest';
import { observedResources } from './resources.js';

describe('observedResources', () => {
  it('watches the whole cluster by default, our own ConfigMaps and Certificates only', () => {
    const r = observedResources();
    expect(r.pods).toEqual({ id: 'pods', apiVersion: 'v1', plural: 'pods' });
    expect(r.meshKinds.map((k) => k.plural)).toEqual([
      'trafficroutes',
      'destinationpolicies',
      'peerauthentications',
      'authorizationpolicies',
    ]);
    expect(r.proxyConfigMaps).toMatchObject({
      labelSelector: 'app.kubernetes.io/managed-by=trellis-operator,app.kubernetes.io/component=proxy-config',
      fieldSelector: 'metadata.name=trellis-proxy-config',
    });
    expect(r.identityCertificates).toMatchObject({
      apiVersion: 'cert-manager.io/v1',
      labelSelector: 'app.kubernetes.io/managed-by=trellis-operator,app.kubernetes.io/component=identity',
    });
  });

  it('scopes every namespaced collection, and its id, to one namespace; the MeshConfig stays cluster-wide', () => {
    const r = observedResources('shop');
    expect(r.services).toEqual({
      id: 'services@shop',
      apiVersion: 'v1',
      plural: 'services',
      namespace: 'shop',
    });
    expect(r.meshKinds.every((k) => k.namespace === 'shop' && k.id.endsWith('@shop'))).toBe(true);
    expect(r.identityCertificates.namespace).toBe('shop');
    expect(r.meshConfigs).toEqual({
      id: 'meshconfigs',
      apiVersion: 'trellis.dev/v1alpha1',
      plural: 'meshconfigs',
    });
  });
});
