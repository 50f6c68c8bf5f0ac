import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, sendJson } from '../../operator/testing/fake-apiserver.js';
import { DataPlaneMetrics } from '../../operator/upgrade-metrics.js';
import { RecordingWriter } from '../testing/recording-writer.js';
import { DataPlaneReconciler } from './reconcile.js';
import { at, deployment, mesh, pod, podsOf, replicaSet } from './testing/fixtures.js';
import { rolloutAnnotations } from './workloads.js';

type Fake = Awaited<ReturnType<typeof fakeApiServer>>;
let fake: Fake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const lists: Record<string, unknown[]> = {
  '/api/v1/namespaces/shop/pods': [
    ...podsOf('Deployment', 'a', '0.1.0'),
    pod('drifting', { annotations: { 'trellis.dev/inject': 'true' } }),
  ],
  '/apis/apps/v1/namespaces/shop/replicasets': [replicaSet('a-abc', 'a')],
  '/apis/apps/v1/namespaces/shop/deployments': [deployment('a')],
  '/apis/apps/v1/namespaces/shop/statefulsets': [],
  '/apis/apps/v1/namespaces/shop/daemonsets': [],
};

describe('DataPlaneReconciler', () => {
  it('observes, plans, applies the restart and the drift event, and sets the gauges', async () => {
    fake = await fakeApiServer((_req, res, raw) => {
      const path = new URL(raw.url ?? '/', 'http://x').pathname;
      if (path === '/api/v1/namespaces/shop') sendJson(res, 200, { metadata: { name: 'shop' } });
      else sendJson(res, 200, { kind: 'List', metadata: {}, items: lists[path] ?? [] });
    });
    const writer = new RecordingWriter();
    const registry = new Registry();
    const reconciler = new DataPlaneReconciler({
      kc: fake.kc,
      logger: pino({ level: 'silent' }),
      writer,
      metrics: new DataPlaneMetrics(registry),
      namespace: 'shop',
      now: () => at(0),
    });
    const plan = await reconciler.reconcile(mesh({ strategy: 'RollingRestart' }), '0.2.0');
    expect(plan.status.rollout).toEqual({
      total: 1,
      restarted: 0,
      current: { kind: 'Deployment', namespace: 'shop', name: 'a' },
    });
    expect(writer.applied).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'a',
          namespace: 'shop',
          annotations: { [rolloutAnnotations.restartedAt]: at(0).toISOString() },
        },
        spec: { template: { metadata: { annotations: { [rolloutAnnotations.restartedFor]: '0.2.0' } } } },
      },
    ]);
    expect(writer.events.map((e) => e.involvedObject.name)).toEqual(['drifting']);
    const text = await registry.metrics();
    expect(text).toContain('trellis_injection_drift_pods 1\n');
    expect(text).toContain('trellis_outdated_proxy_pods 2\n');

    await reconciler.reconcile(mesh({ strategy: 'Manual' }), '0.2.0');
    expect(writer.events).toHaveLength(1);
    expect(writer.applied).toHaveLength(1);
  });
});
