import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { startOperator } from '../../src/operator/operator.js';
import { colorChecks, colorController, quickOperatorConfig } from '../support/color-controller.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
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
    const config = quickOperatorConfig('apiserver-restart-test', ns);
    const operator = await startOperator({ kc, controllers: [colorController(ns, 'patch')], config, logger });
    const { annotationOf, copied, create, relabel } = colorChecks(kube, ns);
    const metrics = async () => (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text();

    try {
      await create('a', 'red');
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
      await relabel('a', 'green');
      await create('b', 'black');
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
