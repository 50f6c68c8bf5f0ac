import { describe, expect, it } from 'vitest';
import { driftEvent, driftingPods, driftReport } from './drift.js';
import { mesh, namespace, observed, pod, t0 } from './testing/fixtures.js';

const optIn = { 'trellis.dev/inject': 'true' };
const names = (found: ReturnType<typeof driftingPods>) =>
  found.map((f) => `${f.pod.metadata?.namespace}/${f.pod.metadata?.name}:${f.reason}`);

describe('injection drift', () => {
  it('finds running pods that asked for the mesh (pod or namespace) and have no proxy, sorted', () => {
    const deleting = pod('deleting', { annotations: optIn });
    deleting.metadata = { ...deleting.metadata, deletionTimestamp: t0 };
    const state = observed({
      namespaces: [namespace('shop'), namespace('web', { 'trellis.dev/inject': 'enabled' })],
      pods: [
        pod('z-asked', { annotations: optIn }),
        pod('meshed', { annotations: optIn, version: '0.2.0' }),
        pod('never-asked'),
        pod('opted-out', { namespace: 'web', annotations: { 'trellis.dev/inject': 'false' } }),
        pod('by-namespace', { namespace: 'web' }),
        pod('finished', { annotations: optIn, phase: 'Failed' }),
        deleting,
        pod('invalid', { annotations: { 'trellis.dev/inject': 'yes' } }),
      ],
    });
    expect(names(driftingPods(state))).toEqual([
      'shop/z-asked:pod-annotation',
      'web/by-namespace:namespace-label',
    ]);
  });

  it("skips the MeshConfig's excluded namespaces and the system ones", () => {
    const state = observed({
      mesh: mesh(),
      namespaces: [namespace('cert-manager', { 'trellis.dev/inject': 'enabled' })],
      pods: [
        pod('a', { namespace: 'cert-manager', annotations: optIn }),
        pod('b', { namespace: 'kube-system', annotations: optIn }),
      ],
    });
    expect(driftingPods(state)).toEqual([]);
  });

  it('treats a pod whose namespace is not listed as in an unlabelled namespace', () => {
    const state = observed({
      namespaces: [],
      pods: [pod('a', { namespace: 'gone', annotations: optIn }), pod('b', { namespace: 'gone' })],
    });
    expect(names(driftingPods(state))).toEqual(['gone/a:pod-annotation']);
  });

  it('reports one Warning event per pod, named after its UID', () => {
    const p = pod('web-1', { annotations: optIn });
    expect(driftEvent(p, 'pod-annotation', t0)).toEqual({
      metadata: { name: 'trellis-injection-drift.uid-web-1', namespace: 'shop' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'shop', uid: 'uid-web-1' },
      reason: 'InjectionDrift',
      message:
        'The pod asked for the Trellis sidecar (its trellis.dev/inject annotation) but runs without it; delete or restart it so the injector adds the proxy.',
      type: 'Warning',
      source: { component: 'trellis-operator' },
      reportingComponent: 'trellis-operator',
      reportingInstance: 'trellis-operator',
      firstTimestamp: t0,
      lastTimestamp: t0,
      count: 1,
    });
  });

  it('samples the drifting pods without versions', () => {
    const report = driftReport(observed({ pods: [pod('a', { annotations: optIn })] }));
    expect(report.sample).toEqual({ count: 1, pods: [{ namespace: 'shop', name: 'a' }] });
    expect(report.events.map((e) => e.metadata.name)).toEqual(['trellis-injection-drift.uid-a']);
  });
});
