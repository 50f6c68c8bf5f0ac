import { describe, expect, it } from 'vitest';
import { IdentityReconciler } from './identity-reconciler.js';
import type { Certificate, ObservedState } from './observed.js';
import { staticReader } from './observed.js';
import { mesh, pod } from './testing/objects.js';
import { RecordingWriter } from './testing/recording-writer.js';

const state = (over: Partial<ObservedState> = {}): ObservedState => ({
  meshConfig: mesh(),
  services: [],
  endpointSlices: [],
  pods: [
    pod('shop', 'web-1', { meshed: true, sa: 'web' }),
    pod('shop', 'api-1', { meshed: true, sa: 'api' }),
  ],
  meshObjects: [],
  proxyConfigMaps: [],
  identityCertificates: [],
  ...over,
});

const run = async (s: ObservedState) => {
  const writer = new RecordingWriter();
  await new IdentityReconciler(staticReader(s), writer).reconcile(
    { name: 'shop' },
    new AbortController().signal,
  );
  return writer;
};

describe('IdentityReconciler', () => {
  it('applies a Certificate per meshed service account', async () => {
    const w = await run(state());
    expect(w.applied.map((c) => c.metadata?.name)).toEqual(['trellis-identity-api', 'trellis-identity-web']);
  });

  it('writes nothing when the stored Certificates carry the same hash', async () => {
    const first = (await run(state())).applied as Certificate[];
    const w = await run(state({ identityCertificates: first }));
    expect([w.applied, w.deleted]).toEqual([[], []]);
  });

  it('reapplies a Certificate whose spec changed', async () => {
    const first = (await run(state())).applied as Certificate[];
    const w = await run(
      state({
        meshConfig: mesh({ certificates: { workload: { duration: '48h' } } }),
        identityCertificates: first,
      }),
    );
    expect(w.applied).toHaveLength(2);
  });

  it('reapplies Certificates owned by an earlier MeshConfig', async () => {
    const first = (await run(state())).applied as Certificate[];
    const w = await run(state({ meshConfig: mesh({}, 'new-uid'), identityCertificates: first }));
    expect(w.applied).toHaveLength(2);
  });

  it('removes the Certificate and its Secret when no meshed pod uses the service account', async () => {
    const first = (await run(state())).applied as Certificate[];
    const w = await run(
      state({ pods: [pod('shop', 'web-1', { meshed: true, sa: 'web' })], identityCertificates: first }),
    );
    expect(w.applied).toEqual([]);
    expect(w.deleted).toEqual([
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        namespace: 'shop',
        name: 'trellis-identity-api',
      },
      { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'trellis-identity-api' },
    ]);
  });

  it('leaves everything alone without a MeshConfig', async () => {
    const first = (await run(state())).applied as Certificate[];
    const w = await run(state({ meshConfig: undefined, pods: [], identityCertificates: first }));
    expect([w.applied, w.deleted]).toEqual([[], []]);
  });
});
