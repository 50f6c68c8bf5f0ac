import { describe, expect, it } from 'vitest';
import { meshConfig } from '../../../api/crds/index.js';
import { asStored, meshConfigJson, podJson, trafficRouteJson } from './cluster-json.js';

describe('cluster JSON builders', () => {
  it('keep timestamps as strings, as the cache does', () => {
    const route = trafficRouteJson('a', 'r', 'web', '2026-01-02T00:00:00Z');
    expect(route.metadata?.creationTimestamp).toBe('2026-01-02T00:00:00Z');
    expect(typeof podJson('a', 'p', 'sa').metadata?.creationTimestamp).toBe('string');
  });

  it('build a MeshConfig its schema accepts', () => {
    expect(meshConfig.safeParse(meshConfigJson()).success).toBe(true);
  });

  it('asStored turns Dates into the strings a read returns', () => {
    const at = new Date(Date.UTC(2026, 0, 1));
    expect(asStored({ at })).toEqual({ at: '2026-01-01T00:00:00.000Z' });
  });
});
