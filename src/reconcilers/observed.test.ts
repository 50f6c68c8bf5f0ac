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
