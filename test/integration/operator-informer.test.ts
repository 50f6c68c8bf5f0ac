import type { V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import {
  Informer,
  type InformerEvent,
  type InformerObserver,
  type InformerTiming,
  type RestartReason,
} from '../../src/operator/informer.js';
import type { Resource } from '../../src/operator/resource.js';
import { relayedKubeConfig } from '../../src/operator/testing/tcp-relay.js';
import { eventually, type Kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
const timing: InformerTiming = {
  restartBackoff: { baseMs: 100, capMs: 1000 },
  watchTimeoutSeconds: 300,
  watchdogMs: 90_000,
  relistMs: 600_000,
  listTimeoutMs: 10_000,
  minWatchMs: 500,
};

function configMaps(ns: string, extra: Partial<Resource> = {}): Resource {
  return { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps', namespace: ns, ...extra };
}

async function started(
  kube: Pick<Kube, 'kc'>,
  resource: Resource,
  overrides: Partial<InformerTiming> = {},
  observer?: InformerObserver,
) {
  const informer = new Informer<V1ConfigMap>(
    kube.kc,
    resource,
    { ...timing, ...overrides },
    logger,
    observer,
  );
  const events: Array<[InformerEvent, string]> = [];
  informer.onChange((event, obj) => events.push([event, obj.metadata?.name ?? '']));
  informer.start();
  await informer.waitForSync();
  return { informer, events };
}

const snapshot = (items: V1ConfigMap[]) =>
  items
    .filter((cm) => cm.metadata?.name !== 'kube-root-ca.crt')
    .map((cm) => `${cm.metadata?.name}@${cm.metadata?.resourceVersion}`)
    .sort();

describe('operator informer against the API server', () => {
  test('delivers adds, updates and deletes and keeps the cache', async ({ kube, ns }) => {
    const { informer, events } = await started(kube, configMaps(ns));
    try {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'one', labels: { app: 'a' } }, data: { v: '1' } },
      });
      await eventually('the add', async () => informer.get('one', ns));
      await kube.core.replaceNamespacedConfigMap({
        name: 'one',
        namespace: ns,
        body: { metadata: { name: 'one', labels: { app: 'b' } }, data: { v: '2' } },
      });
      await eventually('the update', async () =>
        informer.get('one', ns)?.data?.v === '2' ? true : undefined,
      );
      expect(informer.list({ namespace: ns, labels: { app: 'b' } }).map((cm) => cm.metadata?.name)).toEqual([
        'one',
      ]);
      expect(informer.list({ namespace: ns, labels: { app: 'a' } })).toEqual([]);
      await kube.core.deleteNamespacedConfigMap({ name: 'one', namespace: ns });
      await eventually('the delete', async () => (informer.get('one', ns) ? undefined : true));
      expect(events.filter(([, name]) => name === 'one').map(([event]) => event)).toEqual([
        'add',
        'update',
        'delete',
      ]);
    } finally {
      await informer.stop();
    }
  });

  test('filters on the server with a label selector', async ({ kube, ns }) => {
    const { informer } = await started(kube, configMaps(ns, { labelSelector: 'app=kept' }));
    try {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'x', labels: { app: 'other' } } },
      });
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'y', labels: { app: 'kept' } } },
      });
      await eventually('y cached', async () => informer.get('y', ns));
      expect(informer.list().map((cm) => cm.metadata?.name)).toEqual(['y']);
    } finally {
      await informer.stop();
    }
  });

  test('resumes after the server ends the watch', async ({ kube, ns }) => {
    // The server ends each stream after 1 s; ListWatch reconnects from the last resourceVersion.
    const { informer } = await started(kube, configMaps(ns), { watchTimeoutSeconds: 1 });
    try {
      await eventually(
        'the server to end two streams',
        async () => (informer.streamsOpened >= 3 ? true : undefined),
        30_000,
      );
      await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later' } } });
      await eventually('an event on a resumed stream', async () => informer.get('later', ns));
    } finally {
      await informer.stop();
    }
  });

  test('converges on the server state after forced restarts and re-lists amid changes', async ({
    kube,
    ns,
  }) => {
    for (let i = 0; i < 4; i++) {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: `cm-${i}` }, data: { v: '0' } },
      });
    }
    const { informer } = await started(kube, configMaps(ns), { relistMs: 700 });
    try {
      for (let round = 0; round < 4; round++) {
        informer.restart();
        await kube.core.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name: `new-${round}` } },
        });
        await kube.core.deleteNamespacedConfigMap({ name: `cm-${round}`, namespace: ns });
        await kube.core.patchNamespacedConfigMap({
          name: 'new-0',
          namespace: ns,
          body: [{ op: 'add', path: `/metadata/labels`, value: { round: String(round) } }],
        });
        await new Promise((r) => setTimeout(r, 300));
      }
      const truth = snapshot((await kube.core.listNamespacedConfigMap({ namespace: ns })).items);
      expect(truth).toHaveLength(4);
      await eventually('the cache to match the server', async () => {
        const cached = snapshot(informer.list({ namespace: ns }));
        return JSON.stringify(cached) === JSON.stringify(truth) ? true : undefined;
      });
    } finally {
      await informer.stop();
    }
  });

  test('replaces a stream that went silent without closing (a half-open connection)', async ({
    kube,
    ns,
  }) => {
    const { relay, kc } = await relayedKubeConfig(kube.kc);
    const restarts: RestartReason[] = [];
    // Without the watchdog this stream would stay dead until its 300 s server timeout, past this test's.
    const { informer } = await started(
      { kc },
      configMaps(ns),
      { watchdogMs: 3000 },
      { restarted: (r) => restarts.push(r) },
    );
    try {
      await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
      await eventually('the event before', async () => informer.get('before', ns));
      relay.blackhole();
      await kube.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
      await eventually('the event after, on a new stream', async () => informer.get('after', ns), 60_000);
      expect(restarts).toContain('watchdog');
    } finally {
      await informer.stop();
      await relay.close();
    }
  });
});
