import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../src/operator/config.js';
import { type Controller, ownKey, watch } from '../../src/operator/controller.js';
import { startOperator } from '../../src/operator/operator.js';
import type { Reconciler } from '../../src/operator/reconciler.js';
import { relayedKubeConfig } from '../../src/operator/testing/tcp-relay.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
const colorLabel = 'trellis.test/color';
const colorAnnotation = 'trellis.test/copied-color';

/** The trivial controller: copies each ConfigMap's color label into an annotation. */
function colorController(ns: string): Controller {
  const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps', namespace: ns };
  return {
    setup: ({ kc, cache }) => {
      const core = kc.makeApiClient(CoreV1Api);
      const configMaps = cache<V1ConfigMap>(resource);
      const reconciler: Reconciler = {
        name: 'color-copier',
        async reconcile(key) {
          const cached = configMaps.get(key.name, key.namespace);
          const color = cached?.metadata?.labels?.[colorLabel];
          if (!cached || color === undefined || cached.metadata?.annotations?.[colorAnnotation] === color)
            return undefined;
          const current = await core.readNamespacedConfigMap({
            name: key.name,
            namespace: key.namespace ?? '',
          });
          current.metadata = {
            ...current.metadata,
            annotations: { ...current.metadata?.annotations, [colorAnnotation]: color },
          };
          // A stale read fails with 409 and the queue retries with backoff.
          await core.replaceNamespacedConfigMap({
            name: key.name,
            namespace: key.namespace ?? '',
            body: current,
          });
          return undefined;
        },
      };
      return { watches: [watch<V1ConfigMap>(resource, ownKey)], reconciler };
    },
  };
}

describe('operator runtime against the API server', () => {
  test('runs a controller end to end and recovers after the connection to the API server is cut', async ({
    kube,
    ns,
  }) => {
    // The operator reaches the API server only through a relay the test can cut.
    const { relay, kc } = await relayedKubeConfig(kube.kc);
    const config = loadConfig({
      POD_NAME: 'runtime-test',
      POD_NAMESPACE: ns,
      TRELLIS_OPERATOR_HOST: '127.0.0.1',
      TRELLIS_OPERATOR_PORT: '0',
      TRELLIS_OPERATOR_LEASE_DURATION_MS: '4000',
      TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '3000',
      TRELLIS_OPERATOR_RETRY_PERIOD_MS: '500',
      TRELLIS_OPERATOR_RETRY_BASE_MS: '50',
      TRELLIS_OPERATOR_RETRY_CAP_MS: '2000',
      TRELLIS_OPERATOR_WATCH_RESTART_BASE_MS: '200',
      TRELLIS_OPERATOR_WATCH_RESTART_CAP_MS: '2000',
      TRELLIS_OPERATOR_LIST_TIMEOUT_MS: '5000',
      TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '2000',
    });
    const operator = await startOperator({ kc, controllers: [colorController(ns)], config, logger });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${operator.port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    const annotationOf = async (name: string) =>
      (await kube.core.readNamespacedConfigMap({ name, namespace: ns })).metadata?.annotations?.[
        colorAnnotation
      ];
    const copied = (name: string, color: string) =>
      eventually(`${name} annotated ${color}`, async () =>
        (await annotationOf(name)) === color ? true : undefined,
      );
    const relabel = (name: string, color: string) =>
      kube.core.patchNamespacedConfigMap({
        name,
        namespace: ns,
        body: [{ op: 'replace', path: '/metadata/labels/trellis.test~1color', value: color }],
      });

    try {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'a', labels: { [colorLabel]: 'red' } } },
      });
      await copied('a', 'red');
      expect(operator.isLeader()).toBe(true);
      expect(await get('/readyz')).toEqual({ status: 200, body: 'leading; caches synced\n' });
      const metrics = (await get('/metrics')).body;
      expect(metrics).toMatch(
        /trellis_operator_reconciles_total\{reconciler="color-copier",result="success"\} [1-9]/,
      );
      expect(metrics).toContain('trellis_operator_leader 1');

      // A short cut: streams break and restart with backoff; the change made meanwhile still arrives.
      relay.cut();
      await relabel('a', 'green');
      await new Promise((r) => setTimeout(r, 1000));
      relay.restore();
      await copied('a', 'green');

      // A long cut: the Lease cannot be renewed, so the operator stops leading and its controllers stop.
      relay.cut();
      await eventually(
        'leadership lost while cut off',
        async () => (operator.isLeader() ? undefined : true),
        30_000,
      );
      expect(await get('/readyz')).toEqual({ status: 200, body: 'standing by\n' });
      await relabel('a', 'blue');
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'b', labels: { [colorLabel]: 'black' } } },
      });
      expect(await annotationOf('a')).toBe('green');
      relay.restore();
      await eventually('leadership regained', async () => (operator.isLeader() ? true : undefined), 30_000);
      await copied('a', 'blue');
      await copied('b', 'black');
      const after = (await get('/metrics')).body;
      expect(after).toMatch(
        /trellis_operator_informer_restarts_total\{resource="configmaps",reason="error"\} [1-9]/,
      );
    } finally {
      await operator.stop();
      await relay.close();
    }
    const lease = await kube.coordination.readNamespacedLease({ name: 'trellis-operator', namespace: ns });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });
});
