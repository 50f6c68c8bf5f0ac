import { describe, expect, it } from 'vitest';
import type { MeshObject } from '../observed.js';
import { byAge, sourceOf } from './order.js';

const obj = (namespace: string, name: string, created?: string | Date): MeshObject => ({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'TrafficRoute',
  metadata: { namespace, name, ...(created ? { creationTimestamp: created as Date } : {}) },
});

describe('byAge', () => {
  it('orders oldest first, then by namespace and name, objects without a time last', () => {
    const list = [
      obj('b', 'x'),
      obj('a', 'y', '2025-01-02T00:00:00Z'),
      obj('a', 'x', new Date('2025-01-02T00:00:00Z')),
      obj('z', 'z', '2025-01-01T00:00:00Z'),
      obj('a', 'x'),
    ];
    expect([...list].sort(byAge).map(sourceOf)).toEqual([
      'TrafficRoute z/z',
      'TrafficRoute a/x',
      'TrafficRoute a/y',
      'TrafficRoute a/x',
      'TrafficRoute b/x',
    ]);
  });
});
