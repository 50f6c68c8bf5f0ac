import { describe, expect, it } from 'vitest';
import { collectionPath } from './resource.js';

describe('collectionPath', () => {
  it.each([
    [{ id: 'cm', apiVersion: 'v1', plural: 'configmaps' }, '/api/v1/configmaps'],
    [
      { id: 'cm', apiVersion: 'v1', plural: 'configmaps', namespace: 'shop' },
      '/api/v1/namespaces/shop/configmaps',
    ],
    [{ id: 'd', apiVersion: 'apps/v1', plural: 'deployments' }, '/apis/apps/v1/deployments'],
    [
      { id: 'tr', apiVersion: 'trellis.dev/v1alpha1', plural: 'trafficroutes', namespace: 'a' },
      '/apis/trellis.dev/v1alpha1/namespaces/a/trafficroutes',
    ],
  ])('%j is at %s', (resource, path) => {
    expect(collectionPath(resource)).toBe(path);
  });
});
