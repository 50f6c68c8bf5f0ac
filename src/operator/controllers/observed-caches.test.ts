import { describe, expect, it } from 'vitest';
import { observedCaches } from './observed-caches.js';
import { meshConfigJson, podJson, trafficRouteJson } from './testing/cluster-json.js';
import { fakeContext } from './testing/fake-context.js';

describe('observedCaches', () => {
  it('parses the cached MeshConfig default (string timestamps, managedFields) with its defaults, once per version', () => {
    const fake = fakeContext();
    const { reader } = observedCaches(fake.context);
    expect(reader.meshConfig()).toBeUndefined();
    fake.held('meshconfigs').push(meshConfigJson({ trustDomain: 'example.org' }));
    const mesh = reader.meshConfig();
    expect(mesh?.spec.trustDomain).toBe('example.org');
    expect(mesh?.spec.certificates.workload).toEqual({ duration: '24h', renewBefore: '8h' });
    expect(mesh?.metadata.uid).toBe('uid--default');
    expect(reader.meshConfig()).toBe(mesh);
    fake.held('meshconfigs')[0] = meshConfigJson({ trustDomain: 'example.net' });
    expect(reader.meshConfig()?.spec.trustDomain).toBe('example.net');
  });

  it('reads a MeshConfig that does not parse as no mesh, and says so', () => {
    const fake = fakeContext();
    const { reader } = observedCaches(fake.context);
    fake.held('meshconfigs').push(meshConfigJson({ mtlsMode: 'SOMETIMES' }));
    expect(reader.meshConfig()).toBeUndefined();
    expect(fake.warnings.join('')).toContain('MeshConfig default does not parse');
  });

  it('lists the four mesh kinds together and each core list from its own cache', () => {
    const fake = fakeContext();
    const { reader } = observedCaches(fake.context);
    fake.held('trafficroutes').push(trafficRouteJson('a', 'r', 'web', '2026-01-01T00:00:00Z'));
    fake.held('authorizationpolicies').push({
      apiVersion: 'trellis.dev/v1alpha1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'p', namespace: 'a' },
    });
    fake.held('pods').push(podJson('a', 'p', 'default'));
    expect(reader.meshObjects().map((o) => o.kind)).toEqual(['TrafficRoute', 'AuthorizationPolicy']);
    expect(reader.pods()).toHaveLength(1);
    expect(reader.services()).toEqual([]);
  });
  it('reads pods and identity Certificates of one namespace from the cache', () => {
    const fake = fakeContext();
    const { reader } = observedCaches(fake.context);
    fake.held('pods').push(podJson('a', 'p', 'default'), podJson('b', 'q', 'default'));
    fake.held('identity-certificates').push({ metadata: { name: 'c', namespace: 'b' } });
    expect(reader.pods('b').map((p) => p.metadata?.name)).toEqual(['q']);
    expect(reader.pods()).toHaveLength(2);
    expect(reader.identityCertificates('a')).toEqual([]);
    expect(reader.identityCertificates('b')).toHaveLength(1);
  });
});
