import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../src/operator/config.js';
import { type Controller, ownKey, watch } from '../../src/operator/controller.js';
import { startOperator } from '../../src/operator/operator.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
const colorLabel = 'trellis.test/color';
const colorAnnotation = 'trellis.test/copied-color';

/** A TCP relay between the operator and the API server that the test can cut (every connection reset, new ones refused) and restore. */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The trivial controller: copies each ConfigMap's color label into an annotation. */
function colorController(ns: string): Controller {
  const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps', namespace: ns };
  return {
    watches: [watch<V1ConfigMap>(resource, ownKey)],
    reconciler: ({ kc, cache }) => {
      const core = kc.makeApiClient(CoreV1Api);
      const configMaps = cache<V1ConfigMap>(resource);
      return {
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
    },
  };
}

describe('operator runtime against the API server', () => {
  test('runs a controller end to end and recovers after the connection to the API server is cut', async ({
    kube,
    ns,
  }) => {
    const server = kube.kc.getCurrentCluster()?.server;
    if (!server) throw new Error('no API server in the kubeconfig');
    const proxy = await tcpProxy(new URL(server));
    const kc = new KubeConfig();
    kc.loadFromString(kube.kc.exportConfig());
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no cluster');
    kc.clusters = kc.clusters.map((c) =>
      c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
    );

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
      proxy.cut();
      await relabel('a', 'green');
      await new Promise((r) => setTimeout(r, 1000));
      proxy.restore();
      await copied('a', 'green');

      // A long cut: the Lease cannot be renewed, so the operator stops leading and its controllers stop.
      proxy.cut();
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
      proxy.restore();
      await eventually('leadership regained', async () => (operator.isLeader() ? true : undefined), 30_000);
      await copied('a', 'blue');
      await copied('b', 'black');
      const after = (await get('/metrics')).body;
      expect(after).toMatch(
        /trellis_operator_informer_restarts_total\{resource="configmaps",reason="error"\} [1-9]/,
      );
    } finally {
      await operator.stop();
      await proxy.close();
    }
    const lease = await kube.coordination.readNamespacedLease({ name: 'trellis-operator', namespace: ns });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });
});
