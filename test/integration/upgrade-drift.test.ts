import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect } from 'vitest';
import { meshConfig } from '../../src/api/crds/index.js';
import { DataPlaneMetrics } from '../../src/operator/upgrade-metrics.js';
import { DataPlaneReconciler } from '../../src/reconcilers/upgrade/reconcile.js';
import { formatStatus } from '../../src/webhook/status.js';
import type { Kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

/** An in-memory MeshConfig: the cluster's `default` is shared with other tests and left alone. */
const mesh = meshConfig.parse({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'MeshConfig',
  metadata: { name: 'default' },
});

/**
 * A pod no node runs: its selector matches no node, so it stays Pending (still running, as far as
 * drift goes) and no node agent on the cluster picks it up.
 */
function pendingPod(name: string, extra: Partial<V1Pod['metadata']> = {}, proxy = false): V1Pod {
  return {
    metadata: { name, ...extra },
    spec: {
      nodeSelector: { 'trellis.dev/test-no-such-node': 'true' },
      containers: [
        { name: 'app', image: 'trellis.invalid/app:1' },
        ...(proxy ? [{ name: 'trellis-proxy', image: 'trellis.invalid/proxy:0.2.0' }] : []),
      ],
    },
  };
}

async function driftEvents(k: Kube, ns: string) {
  const events = await k.core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=InjectionDrift' });
  return events.items;
}

describe('injection drift against the real control plane', () => {
  test('a pod that asked for the mesh and has no proxy gets one Event and appears in status', async ({
    kube: k,
    ns,
  }) => {
    // Created before the namespace asked for the mesh, as happens when a namespace is labelled later:
    // whatever injector runs on the shared cluster, it has no reason to touch these pods.
    const drifting = await k.core.createNamespacedPod({ namespace: ns, body: pendingPod('drifting') });
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pendingPod('opted-out', { annotations: { 'trellis.dev/inject': 'false' } }),
    });
    const status = formatStatus({
      version: '0.2.0',
      native: false,
      initContainers: [],
      containers: ['trellis-proxy'],
      volumes: [],
    });
    await k.core.createNamespacedPod({
      namespace: ns,
      body: pendingPod('meshed', { annotations: { 'trellis.dev/status': status } }, true),
    });
    await k.core.patchNamespace(
      { name: ns, body: { metadata: { labels: { 'trellis.dev/inject': 'enabled' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const registry = new Registry();
    const options = {
      kc: k.kc,
      logger: pino({ level: 'error' }),
      metrics: new DataPlaneMetrics(registry),
      namespace: ns,
    };
    const reconciler = new DataPlaneReconciler(options);
    const plan = await reconciler.reconcile(mesh, '0.2.0');
    expect(plan.status.injectionDrift).toEqual({ count: 1, pods: [{ namespace: ns, name: 'drifting' }] });
    expect(plan.status.outdatedPods).toEqual({ count: 0 });
    expect(await registry.metrics()).toContain('trellis_injection_drift_pods 1\n');

    const [event, ...more] = await driftEvents(k, ns);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'InjectionDrift',
      involvedObject: { kind: 'Pod', name: 'drifting', namespace: ns, uid: drifting.metadata?.uid },
      count: 1,
    });
    expect(event?.message).toContain('its namespace label trellis.dev/inject=enabled');

    // Again, and from a new process (an operator restart or failover): still the one event.
    await reconciler.reconcile(mesh, '0.2.0');
    await new DataPlaneReconciler(options).reconcile(mesh, '0.2.0');
    const after = await driftEvents(k, ns);
    expect(after.map((e) => [e.metadata?.name, e.count])).toEqual([[event?.metadata?.name, 1]]);

    // Gone once the pod is.
    await k.core.deleteNamespacedPod({ name: 'drifting', namespace: ns, gracePeriodSeconds: 0 });
    const cleared = await reconciler.reconcile(mesh, '0.2.0');
    expect(cleared.status.injectionDrift).toEqual({ count: 0 });
    expect(await registry.metrics()).toContain('trellis_injection_drift_pods 0\n');
  });
});
