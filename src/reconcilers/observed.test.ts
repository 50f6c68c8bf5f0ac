import { describe, expect, it } from 'vitest';
import { type ObservedState, snapshot, staticReader } from './observed.js';

describe('snapshot', () => {
  it('reads every list once from the reader', () => {
    const state: ObservedState = {
      meshConfig: undefined,
      services: [{ metadata: { name: 's' } }],
      endpointSlices: [],
      pods: [{ metadata: { name: 'p' } }],
      meshObjects: [],
      proxyConfigMaps: [],
      identityCertificates: [],
    };
    expect(snapshot(staticReader(state))).toEqual(state);
  });
});

describe('staticReader', () => {
  it('reads pods and identity Certificates of one namespace', () => {
    const reader = staticReader({
      meshConfig: undefined,
      services: [],
      endpointSlices: [],
      pods: [{ metadata: { name: 'p', namespace: 'a' } }, { metadata: { name: 'q', namespace: 'b' } }],
      meshObjects: [],
      proxyConfigMaps: [],
      identityCertificates: [],
    });
    expect(reader.pods('b').map((p) => p.metadata?.name)).toEqual(['q']);
    expect(reader.pods()).toHaveLength(2);
    expect(reader.identityCertificates('a')).toEqual([]);
  });
});
