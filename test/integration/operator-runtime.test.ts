import { pino } from 'pino';
import { describe, expect } from 'vitest';
import { startOperator } from '../../src/operator/operator.js';
import { relayedKubeConfig } from '../../src/operator/testing/tcp-relay.js';
import { colorChecks, colorController, quickOperatorConfig } from '../support/color-controller.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const logger = pino({ level: process.env.TRELLIS_TEST_LOG ?? 'silent' });
describe('operator runtime against the API server', () => {
  test('runs a controller end to end and recovers after the connection to the API server is cut', async ({
    kube,
    ns,
  }) => {
    // The operator reaches the API server only through a relay the test can cut.
    const { relay, kc } = await relayedKubeConfig(kube.kc);
    const config = quickOperatorConfig('runtime-test', ns);
    const operator = await startOperator({
      kc,
      controllers: [colorController(ns, 'replace')],
      config,
      logger,
    });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${operator.port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    const { annotationOf, copied, create, relabel } = colorChecks(kube, ns);

    try {
      await create('a', 'red');
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
      await create('b', 'black');
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
