import { describe, expect, it } from 'vitest';
import { meshConfig } from '../api/crds/index.js';
import { meshConfigOwner, sameOwners } from './labels.js';

const mesh = (uid?: string) =>
  meshConfig.parse({
    apiVersion: 'trellis.dev/v1alpha1',
    kind: 'MeshConfig',
    metadata: { name: 'default', ...(uid ? { uid } : {}) },
    spec: {},
  });

describe('meshConfigOwner', () => {
  it('points at the MeshConfig as controller', () => {
    expect(meshConfigOwner(mesh('u-1'))).toEqual([
      {
        apiVersion: 'trellis.dev/v1alpha1',
        kind: 'MeshConfig',
        name: 'default',
        uid: 'u-1',
        controller: true,
      },
    ]);
  });
  it('is empty without a uid', () => {
    expect(meshConfigOwner(mesh())).toEqual([]);
  });
});

describe('sameOwners', () => {
  const ref = (uid: string) => ({ apiVersion: 'v1', kind: 'X', name: 'x', uid });
  it.each([
    ['both empty', undefined, [], true],
    ['same uid', { ownerReferences: [ref('a')] }, [ref('a')], true],
    ['recreated owner', { ownerReferences: [ref('a')] }, [ref('b')], false],
    ['owner gained', {}, [ref('a')], false],
    ['owner lost', { ownerReferences: [ref('a')] }, [], false],
  ])('%s → %s', (_name, stored, wanted, expected) => {
    expect(sameOwners(stored, wanted)).toBe(expected);
  });
});
