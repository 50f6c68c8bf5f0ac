import { describe, expect, it } from 'vitest';
import { ownKey, watch } from './controller.js';

const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps' };

describe('ownKey', () => {
  it.each([
    [{ metadata: { name: 'a', namespace: 'shop' } }, [{ namespace: 'shop', name: 'a' }]],
    [{ metadata: { name: 'default' } }, [{ name: 'default' }]],
    [{ metadata: {} }, []],
    [{}, []],
  ])('%j maps to %j', (obj, keys) => {
    expect(ownKey(obj)).toEqual(keys);
  });
});

describe('watch', () => {
  it('hands the mapping the object and the event', () => {
    const watched = watch<{ metadata: { name: string; labels: Record<string, string> } }>(
      resource,
      (obj, event) => [{ namespace: obj.metadata.labels.owner, name: `${event}-${obj.metadata.name}` }],
    );
    expect(watched.resource).toBe(resource);
    expect(watched.keys('update', { metadata: { name: 'x', labels: { owner: 'o' } } })).toEqual([
      { namespace: 'o', name: 'update-x' },
    ]);
  });
});
