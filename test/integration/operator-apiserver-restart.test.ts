import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect } from 'vitest';
import {
  freePort,
  privateKubeConfig,
  type Started,
  startApiserver,
} from '../../bench/control-plane/private-apiserver.js';
import { ensureBinaries } from '../../devcluster/build.js';
import { clusterConfig } from '../../devcluster/config.js';
import { loadConfig } from '../../src/operator/config.js';
import { type Controller, ownKey, watch } from '../../src/operator/controller.js';
import { startOperator } from '../../src/operator/operator.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
const colorLabel = 'trellis.test/color';
const colorAnnotation = 'trellis.test/copied-color';

/** Copies each ConfigMap's color label into an annotation, with a merge patch (no read, no conflict). */
function colorController(ns: string): Controller {
  const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps', namespace: ns };
  return {
    setup: ({ kc, cache }) => {
      const core = kc.makeApiClient(CoreV1Api);
      const configMaps = cache<V1ConfigMap>(resource);
      return {
        watches: [watch<V1ConfigMap>(resource, ownKey)],
        reconciler: {
          name: 'color-copier',
          async reconcile(key) {
            const cached = configMaps.get(key.name, key.namespace);
            const color = cached?.metadata?.labels?.[colorLabel];
            if (color === undefined || cached?.metadata?.annotations?.[colorAnnotation] === color)
              return undefined;
            await core.patchNamespacedConfigMap({
              name: key.name,
              namespace: ns,
              body: [{ op: 'add', path: '/metadata/annotations', value: { [colorAnnotation]: color } }],
            });
            return undefined;
          },
        },
      };
    },
  };
}

/**
 * The shared dev cluster's API server must not restart (every other test uses it), so the operator
 * here talks to a second kube-apiserver of its own over the same etcd: the dev cluster's binary, flags
 * and certificates on another port. The test stops that process and starts a new one on the same
 * port, as an upgrade or a crash of the API server would, while the changes keep coming through the
 * shared one.
 */
describe('operator recovery after the API server restarts', () => {
  test('loses the Lease while its API server is down, leads again after the restart, and reconciles what changed meanwhile', {
    timeout: 300_000,
  }, async ({ kube, ns }) => {
    const { binDir } = ensureBinaries(() => {});
    const dir = mkdtempSync(join(tmpdir(), 'trellis-apiserver-restart-'));
    const port = await freePort();
    const etcdUrl = `http://127.0.0.1:${clusterConfig.ports.etcdClient}`;
    const log = join(dir, 'kube-apiserver.log');
    let apiserver: Started | undefined = await startApiserver(binDir, { etcdUrl, port, log });
    const kc = privateKubeConfig(port, join(dir, 'kubeconfig'));
    const config = loadConfig({
      POD_NAME: 'apiserver-restart-test',
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
    const annotationOf = async (name: string) =>
      (await kube.core.readNamespacedConfigMap({ name, namespace: ns })).metadata?.annotations?.[
        colorAnnotation
      ];
    const copied = (name: string, color: string, timeoutMs?: number) =>
      eventually(
        `${name} annotated ${color}`,
        async () => ((await annotationOf(name)) === color ? true : undefined),
        timeoutMs,
      );
    const metrics = async () => (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text();

    try {
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'a', labels: { [colorLabel]: 'red' } } },
      });
      await copied('a', 'red');
      expect(operator.isLeader()).toBe(true);
      const before = apiserver.pid;

      // The API server crashes (SIGKILL). Renewals fail, so the operator stops leading within the renew
      // deadline and stops its controllers.
      await apiserver.stop('SIGKILL');
      apiserver = undefined;
      await eventually('leadership lost', async () => (operator.isLeader() ? undefined : true), 30_000);
      expect(operator.readiness().detail).toBe('standing by');

      // Changes made through the shared API server while this one is down wait for the operator.
      await kube.core.patchNamespacedConfigMap({
        name: 'a',
        namespace: ns,
        body: [{ op: 'replace', path: '/metadata/labels/trellis.test~1color', value: 'green' }],
      });
      await kube.core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'b', labels: { [colorLabel]: 'black' } } },
      });
      await new Promise((r) => setTimeout(r, 2000));
      expect(await annotationOf('a')).toBe('red');
      expect(await annotationOf('b')).toBeUndefined();

      // A new API server process on the same port: the operator campaigns, leads with fresh caches,
      // and reconciles both changes.
      apiserver = await startApiserver(binDir, { etcdUrl, port, log });
      expect(apiserver.pid).not.toBe(before);
      await eventually('leadership regained', async () => (operator.isLeader() ? true : undefined), 60_000);
      await copied('a', 'green', 60_000);
      await copied('b', 'black', 60_000);
      expect(operator.readiness().detail).toBe('leading; caches synced');
      expect(await metrics()).toContain('trellis_operator_leader 1');
    } catch (err) {
      console.error(`--- the private kube-apiserver's log is ${log}`);
      throw err;
    } finally {
      await operator.stop();
      await apiserver?.stop();
    }
    rmSync(dir, { recursive: true, force: true });
    const lease = await kube.coordination.readNamespacedLease({ name: 'trellis-operator', namespace: ns });
    expect(lease.spec?.holderIdentity ?? '').toBe('');
  });
});
