import { describe, expect, it } from 'vitest';
import { describeObject, ownerReferences, refOf } from './object.js';

describe('install objects', () => {
  it('are owned by the MeshConfig as controller, without blocking its deletion', () => {
    expect(
      ownerReferences({ apiVersion: 'trellis.dev/v1alpha1', kind: 'MeshConfig', name: 'default', uid: 'u' }),
    ).toEqual([
      { apiVersion: 'trellis.dev/v1alpha1', kind: 'MeshConfig', name: 'default', uid: 'u', controller: true },
    ]);
  });

  it('are named with their namespace when they have one', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns' } };
    const cr = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } };
    expect(refOf(cm)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'ns' });
    expect(refOf(cr)).toEqual({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'r' });
    expect(describeObject(refOf(cm))).toBe('ConfigMap ns/a');
    expect(describeObject(refOf(cr))).toBe('ClusterRole r');
  });
});
