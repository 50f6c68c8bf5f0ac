import { describe, expect, it } from 'vitest';
import { meshConfig } from '../api/crds/index.js';
import { meshConfigOwner } from './labels.js';

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
