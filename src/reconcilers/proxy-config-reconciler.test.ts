import type { V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { examples } from '../api/crds/examples.js';
import type { MeshObject, ObservedState } from './observed.js';
import { staticReader } from './observed.js';
import { ProxyConfigReconciler } from './proxy-config-reconciler.js';
import { mesh, pod, service, slice } from './testing/objects.js';
import { RecordingWriter } from './testing/recording-writer.js';

const route = (svc: string): MeshObject => ({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'TrafficRoute',
  metadata: { name: `to-${svc}`, namespace: 'shop', generation: 2 },
  spec: { service: svc, rules: [{ destinations: [{ service: svc }] }] },
});

const state = (over: Partial<ObservedState> = {}): ObservedState => ({
  meshConfig: mesh({}, 'mesh-uid'),
  services: [service('shop', 'web', '198.19.0.10', [{ name: 'http', port: 80 }])],
  endpointSlices: [
    slice('shop', 'web', 'w', [{ name: 'http', port: 8080 }], [{ ip: '198.18.0.2', pod: 'web-1' }]),
  ],
  pods: [pod('shop', 'web-1', { meshed: true, sa: 'web' })],
  meshObjects: [],
  proxyConfigMaps: [],
  identityCertificates: [],
  ...over,
});

const now = () => new Date('2026-01-01T00:00:00Z');
const run = async (s: ObservedState, ns = 'shop', limitBytes?: number) => {
  const writer = new RecordingWriter();
  const r = new ProxyConfigReconciler(staticReader(s), writer, {
    now,
    ...(limitBytes ? { limitBytes } : {}),
  });
  await r.reconcile({ name: ns }, new AbortController().signal);
  return writer;
};

describe('ProxyConfigReconciler', () => {
  it('applies the ConfigMap with hash, labels and owner', async () => {
    const w = await run(state());
    expect(w.applied).toHaveLength(1);
    const cm = w.applied[0] as V1ConfigMap;
    expect(cm.metadata).toMatchObject({
      name: 'trellis-proxy-config',
      namespace: 'shop',
      labels: { 'app.kubernetes.io/managed-by': 'trellis-operator' },
      annotations: { 'trellis.dev/config-hash': expect.stringMatching(/^[0-9a-f]{64}$/) },
      ownerReferences: [expect.objectContaining({ kind: 'MeshConfig', uid: 'mesh-uid' })],
    });
    expect(JSON.parse(cm.data?.['config.json'] ?? '')).toMatchObject({ namespace: 'shop', schemaVersion: 1 });
  });

  it('writes nothing when the stored ConfigMap has the same content', async () => {
    const first = (await run(state())).applied[0] as V1ConfigMap;
    const w = await run(state({ proxyConfigMaps: [first] }));
    expect(w.applied).toEqual([]);
    expect(w.deleted).toEqual([]);
  });

  it('rewrites a ConfigMap whose bytes were edited by hand under the same hash', async () => {
    const first = (await run(state())).applied[0] as V1ConfigMap;
    const edited = { ...first, data: { 'config.json': '{}' } };
    expect((await run(state({ proxyConfigMaps: [edited] }))).applied).toHaveLength(1);
  });

  it('rewrites a ConfigMap owned by an earlier MeshConfig (recreated, new uid)', async () => {
    const first = (await run(state())).applied[0] as V1ConfigMap;
    expect(
      (await run(state({ meshConfig: mesh({}, 'new-uid'), proxyConfigMaps: [first] }))).applied,
    ).toHaveLength(1);
  });

  it('does nothing without a MeshConfig', async () => {
    const w = await run(state({ meshConfig: undefined, meshObjects: [route('web')] }));
    expect([w.applied, w.statuses, w.deleted, w.events]).toEqual([[], [], [], []]);
  });

  it('deletes its own ConfigMap once no meshed pod runs in the namespace, and only its own', async () => {
    const ours = (await run(state())).applied[0] as V1ConfigMap;
    const gone = await run(state({ pods: [], proxyConfigMaps: [ours] }));
    expect(gone.deleted).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'trellis-proxy-config' },
    ]);
    const theirs = { ...ours, metadata: { ...ours.metadata, labels: {} } };
    expect((await run(state({ pods: [], proxyConfigMaps: [theirs] }))).deleted).toEqual([]);
  });

  it('records a warning event instead of writing a config over the size limit', async () => {
    const w = await run(state(), 'shop', 100);
    expect(w.applied).toEqual([]);
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({
      type: 'Warning',
      reason: 'ProxyConfigTooLarge',
      metadata: { namespace: 'shop', name: expect.stringMatching(/^trellis-proxy-config\.[0-9a-f]{16}$/) },
      involvedObject: { kind: 'Namespace', name: 'shop' },
    });
    expect(w.events[0]?.message).toMatch(/over the ConfigMap limit of 100/);
  });

  it('keeps the last good ConfigMap when the document fails the proxy schema, and says why', async () => {
    const first = (await run(state())).applied[0] as V1ConfigMap;
    // The CRD's pattern (^https?://[^\s]+$) lets this through; the proxy's URL check does not.
    const bad = mesh({ tracing: { otlpEndpoint: 'http://%%' } }, 'mesh-uid');
    const w = await run(state({ meshConfig: bad, proxyConfigMaps: [first] }));
    expect(w.applied).toEqual([]);
    expect(w.events[0]).toMatchObject({ type: 'Warning', reason: 'ProxyConfigInvalid' });
    expect(w.events[0]?.message).toContain('telemetry.tracing.otlpEndpoint');
  });

  it('sets Accepted and ResolvedRefs on the mesh CRs of the namespace, once', async () => {
    const other: MeshObject = {
      ...route('web'),
      metadata: { name: 'x', namespace: 'elsewhere', generation: 1 },
    };
    const w = await run(state({ meshObjects: [route('web'), route('missing'), other] }));
    expect(
      w.statuses.map((s) => [
        s.metadata.name,
        s.status.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`),
      ]),
    ).toEqual([
      ['to-web', ['Accepted=True:Accepted', 'ResolvedRefs=True:ResolvedRefs']],
      ['to-missing', ['Accepted=True:Accepted', 'ResolvedRefs=False:ServiceNotFound']],
    ]);
    expect(w.statuses[0]?.status.observedGeneration).toBe(2);
    const stored = w.statuses.map(
      (s, i) => ({ ...[route('web'), route('missing')][i], status: s.status }) as MeshObject,
    );
    expect((await run(state({ meshObjects: stored }))).statuses).toEqual([]);
  });

  it('marks an invalid CR and leaves the config as it was', async () => {
    const bad: MeshObject = {
      ...route('web'),
      spec: { ...examples.TrafficRoute, service: 'web', rules: [] },
    };
    const first = (await run(state())).applied[0] as V1ConfigMap;
    const w = await run(state({ meshObjects: [bad], proxyConfigMaps: [first] }));
    expect(w.statuses[0]?.status.conditions?.[0]).toMatchObject({
      type: 'Accepted',
      status: 'False',
      reason: 'Invalid',
    });
    expect(w.applied).toEqual([]);
  });

  it('keeps the last accepted version of an edited CR in the config while the edit is refused', async () => {
    let current = state({
      meshObjects: [{ ...route('web'), metadata: { ...route('web').metadata, uid: 'u1' } }],
    });
    const reader = { ...staticReader(current) };
    for (const key of Object.keys(reader) as Array<keyof typeof reader>) {
      Object.assign(reader, { [key]: () => current[key] });
    }
    const writer = new RecordingWriter();
    const r = new ProxyConfigReconciler(reader, writer, { now });
    const reconcile = () => r.reconcile({ name: 'shop' }, new AbortController().signal);
    await reconcile();
    const good = writer.applied[0] as V1ConfigMap;
    const invalid: MeshObject = {
      ...route('web'),
      metadata: { ...route('web').metadata, uid: 'u1', generation: 3 },
      spec: { service: 'web', rules: [{ destinations: [{ service: 'web', weight: 30 }] }] },
    };
    current = { ...current, meshObjects: [invalid], proxyConfigMaps: [good] };
    await reconcile();
    expect(writer.applied).toHaveLength(1);
    expect(writer.statuses.at(-1)?.status).toMatchObject({
      observedGeneration: 3,
      conditions: [
        {
          type: 'Accepted',
          status: 'False',
          reason: 'Invalid',
          message:
            'generation 3 is not in effect: spec.rules[0].destinations: weights must sum to 100, not 30; generation 2 stays in effect',
        },
        { type: 'ResolvedRefs', status: 'True', message: 'generation 2: every reference resolves' },
      ],
    });
  });

  it('computes the shared part once per set of inputs, and again when any input object is replaced', async () => {
    // One reconciler over a reader whose lists move on, as the operator's caches do between reconciles.
    let current = state();
    const reader = { ...staticReader(current) };
    for (const key of Object.keys(reader) as Array<keyof typeof reader>) {
      Object.assign(reader, { [key]: () => current[key] });
    }
    const writer = new RecordingWriter();
    const r = new ProxyConfigReconciler(reader, writer, { now });
    const endpointsIn = (i: number) => {
      const cm = writer.applied[i] as V1ConfigMap;
      const doc = JSON.parse(cm.data?.['config.json'] ?? '') as { services: Array<{ endpoints: unknown[] }> };
      return doc.services[0]?.endpoints.length;
    };
    const reconcile = () => r.reconcile({ name: 'shop' }, new AbortController().signal);

    await reconcile();
    expect(endpointsIn(0)).toBe(1);
    // New lists holding the same objects: nothing to recompute, nothing to write.
    current = {
      ...current,
      services: [...current.services],
      proxyConfigMaps: [writer.applied[0] as V1ConfigMap],
    };
    await reconcile();
    expect(writer.applied).toHaveLength(1);
    // A replaced slice (same name, new object) must show.
    const twoEndpoints = slice(
      'shop',
      'web',
      'w',
      [{ name: 'http', port: 8080 }],
      [
        { ip: '198.18.0.2', pod: 'web-1' },
        { ip: '198.18.0.3', pod: 'web-2' },
      ],
    );
    current = { ...current, endpointSlices: [twoEndpoints] };
    await reconcile();
    expect(writer.applied).toHaveLength(2);
    expect(endpointsIn(1)).toBe(2);
    // So must a replaced MeshConfig.
    current = {
      ...current,
      meshConfig: mesh({ trustDomain: 'example.org' }, 'mesh-uid'),
      proxyConfigMaps: [writer.applied[1] as V1ConfigMap],
    };
    await reconcile();
    expect(writer.applied).toHaveLength(3);
    expect((writer.applied[2] as V1ConfigMap).data?.['config.json']).toContain('"trustDomain":"example.org"');
  });

  it('stops before writing when the signal is aborted', async () => {
    const writer = new RecordingWriter();
    const r = new ProxyConfigReconciler(staticReader(state({ meshObjects: [route('web')] })), writer, {
      now,
    });
    const ac = new AbortController();
    ac.abort();
    await expect(r.reconcile({ name: 'shop' }, ac.signal)).rejects.toThrow();
    expect([writer.applied, writer.statuses]).toEqual([[], []]);
  });
});
