import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiVersion } from '../../src/api/names.js';
import { eventually } from '../support/kube.js';
import { loadgenBatch } from './mesh/deploy.js';
import type { Tally } from './mesh/driver.js';
import { type Mesh, startMesh } from './mesh/harness.js';
import { deployment, paymentsRoute, sampleObjects, service, serviceAccount } from './mesh/sample.js';

/**
 * Traffic policy end to end: requests leave the sample's meshed loadgen
 * through its proxy, as any meshed client's would, and the policies are
 * mesh CRs the operator compiles into the proxy config. One mesh and one
 * namespace for the file; each test applies its own policy and waits for it
 * to take effect (config propagation takes seconds), then measures.
 */

const ns = `mesh-traffic-${randomBytes(3).toString('hex')}`;
let mesh: Mesh;
let kubeconfig: string;

const batch = (
  service: string,
  count: number,
  more: { concurrency?: number; headers?: Record<string, string>; path?: string } = {},
) => loadgenBatch(kubeconfig, ns, { service, count, concurrency: more.concurrency ?? 4, ...more });

const policy = (kind: string, name: string, spec: unknown): KubernetesObject =>
  ({
    apiVersion,
    kind,
    metadata: { name, namespace: ns },
    spec,
  }) as KubernetesObject;

/** Extra workloads: ledger (a good and a flaky replica), broken (a good and a failing one), slow. */
function extras(): KubernetesObject[] {
  const opts = { namespace: ns };
  const app = (name: string, appLabel: string, image: string, env: Record<string, string>, version = 'v1') =>
    deployment({ name, app: appLabel, version, image, env: { SERVICE_NAME: appLabel, ...env } }, opts);
  return [
    ...['ledger', 'broken', 'slow'].flatMap((s) => [serviceAccount(s, ns), service(s, ns)]),
    app('ledger', 'ledger', 'trellis-e2e/payments:1.0', {}),
    app('ledger-flaky', 'ledger', 'trellis-e2e/flaky:1.0', { FAIL_PERCENT: '20' }, 'flaky'),
    app('broken', 'broken', 'trellis-e2e/payments:1.0', {}),
    app('broken-bad', 'broken', 'trellis-e2e/flaky:1.0', { FAIL_PERCENT: '100' }, 'bad'),
    app('slow', 'slow', 'trellis-e2e/payments:1.0', { DELAY_MS: '500' }),
  ];
}

const share = (t: Tally, leaf: string) => (t.leaves[leaf] ?? 0) / t.ok;

/**
 * Sends batches until one passes `check` (a policy takes effect once the operator has written the
 * config and the proxies have reloaded it: seconds), or fails after 60 s showing the last tally.
 */
async function until(what: string, send: () => Promise<Tally>, check: (t: Tally) => boolean): Promise<Tally> {
  let last: Tally | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await send();
        return check(last) ? last : undefined;
      },
      60_000,
    );
  } catch (err) {
    throw new Error(`${String(err)}; last tally: ${JSON.stringify(last)}`);
  }
}

beforeAll(async () => {
  kubeconfig = inject('kubeconfig');
  mesh = await startMesh(kubeconfig);
  await mesh.deploy([...sampleObjects({ namespace: ns }), ...extras()], ns);
}, 600_000);

afterAll(async () => {
  await mesh?.stop();
}, 300_000);

describe('traffic policy through the mesh', () => {
  it('splits payments 90/10 between v1 and v2 within tolerance', async () => {
    // The route went in with the sample; wait until the loadgen's proxy has it (without it, the two
    // versions' endpoints share the load about evenly), then measure on a batch of its own.
    await until(
      'the 90/10 route in force',
      () => batch('payments', 100, { concurrency: 8 }),
      (t) => share(t, 'payments v2') < 0.3,
    );
    const t = await batch('payments', 400, { concurrency: 8 });
    expect(t.failed).toBe(0);
    // Binomial: n = 400, p = 0.1 gives a standard deviation of 1.5 points; ±5 points is over 3.
    expect(share(t, 'payments v2')).toBeGreaterThan(0.05);
    expect(share(t, 'payments v2')).toBeLessThan(0.15);
    expect((t.leaves['payments v1'] ?? 0) + (t.leaves['payments v2'] ?? 0)).toBe(400);
  });

  it('routes by header, deep in the chain (frontend and orders pass x- headers on)', async () => {
    const route = paymentsRoute(ns, 10);
    route.spec.rules.unshift({
      name: 'canary-header',
      matches: [{ headers: [{ name: 'x-canary', exact: 'true' }] }],
      destinations: [{ service: 'payments', subset: 'v2' }],
    });
    await mesh.deploy([route]);
    const tagged = await until(
      'x-canary: true to reach payments v2 only',
      () => batch('frontend', 40, { headers: { 'x-canary': 'true' } }),
      (t) => t.leaves['payments v2'] === 40,
    );
    expect(tagged.failed).toBe(0);
    const untagged = await batch('frontend', 200, { concurrency: 8 });
    expect(untagged.failed).toBe(0);
    expect(share(untagged, 'payments v1')).toBeGreaterThan(0.75);
  });

  it('hides a flaky replica behind retries', async () => {
    // No route: the 20 % failures of the flaky replica reach the caller.
    const bare = await batch('ledger', 100);
    expect(bare.statuses['500'] ?? 0).toBeGreaterThan(0);
    await mesh.deploy([
      policy('TrafficRoute', 'ledger', {
        service: 'ledger',
        rules: [
          {
            name: 'retry',
            destinations: [{ service: 'ledger' }],
            retries: { attempts: 3, retryOn: ['5xx'] },
          },
        ],
      }),
    ]);
    const retried = await until(
      'no failed request to ledger',
      () => batch('ledger', 200),
      (t) => t.failed === 0,
    );
    // Both replicas answered: the flaky one was not simply avoided.
    expect(Object.keys(retried.leaves)).toEqual(expect.arrayContaining(['ledger v1', 'ledger flaky']));
  });

  it('ejects a replica that keeps failing', async () => {
    const bare = await batch('broken', 40, { concurrency: 1 });
    expect(bare.statuses['500'] ?? 0).toBeGreaterThan(0);
    await mesh.deploy([
      policy('DestinationPolicy', 'broken', {
        service: 'broken',
        outlierDetection: {
          consecutive5xxErrors: 3,
          interval: '1s',
          baseEjectionTime: '120s',
          maxEjectionPercent: 50,
          panicThresholdPercent: 0,
        },
      }),
    ]);
    // Once ejected (3 failures in a row, seen at the next 1 s evaluation), only the good replica answers.
    const after = await until(
      'a batch with no failure once the bad replica is ejected',
      () => batch('broken', 100, { concurrency: 1 }),
      (t) => t.failed === 0,
    );
    expect(after.leaves).toEqual({ 'broken v1': 100 });
  });

  it('breaks the circuit when too many requests are in flight', async () => {
    const calm = await batch('slow', 4, { concurrency: 2 });
    expect(calm.failed).toBe(0);
    await mesh.deploy([
      policy('DestinationPolicy', 'slow', { service: 'slow', connectionPool: { maxConcurrentRequests: 2 } }),
    ]);
    const burst = await until(
      'requests over the limit answered 503 UO',
      () => batch('slow', 20, { concurrency: 10 }),
      (t) => (t.flags.UO ?? 0) > 0,
    );
    expect(burst.statuses['503']).toBe(burst.flags.UO);
    expect(burst.ok).toBeGreaterThanOrEqual(2);
    // Within the limit nothing is refused.
    expect((await batch('slow', 6, { concurrency: 2 })).failed).toBe(0);
  });

  it('authorizes by service account: only orders may call payments', async () => {
    await mesh.deploy([
      policy('AuthorizationPolicy', 'payments', {
        selector: { matchLabels: { app: 'payments' } },
        action: 'ALLOW',
        rules: [{ from: [{ principals: [`spiffe://cluster.local/ns/${ns}/sa/orders`] }] }],
      }),
    ]);
    const direct = await until(
      'the loadgen refused by payments',
      () => batch('payments', 10),
      (t) => t.statuses['403'] === 10,
    );
    expect(direct.ok).toBe(0);
    // Through frontend → orders, the caller of payments is orders: allowed.
    const chained = await batch('frontend', 20);
    expect(chained.failed).toBe(0);
  });

  it('injects faults: aborts at their percentage, delays where matched', async () => {
    await mesh.deploy([
      policy('TrafficRoute', 'orders', {
        service: 'orders',
        rules: [
          {
            name: 'delayed',
            matches: [{ path: { prefix: '/delayed' } }],
            destinations: [{ service: 'orders' }],
            fault: { delay: { fixedDelay: '400ms', percent: 100 } },
          },
          {
            name: 'aborted',
            destinations: [{ service: 'orders' }],
            fault: { abort: { httpStatus: 503, percent: 50 } },
          },
        ],
      }),
    ]);
    await until(
      'requests to orders aborted with 503 FI',
      () => batch('orders', 20, { concurrency: 4 }),
      (t) => (t.flags.FI ?? 0) > 0,
    );
    // Measured on a batch of its own, wholly after the route took effect.
    const aborted = await batch('orders', 200, { concurrency: 8 });
    expect(aborted.flags.FI).toBe(aborted.statuses['503']);
    // Binomial: n = 200, p = 0.5, standard deviation 3.5 %; 35–65 % is over 4.
    expect(aborted.flags.FI ?? 0).toBeGreaterThan(70);
    expect(aborted.flags.FI ?? 0).toBeLessThan(130);
    const delayed = await batch('orders', 5, { path: '/delayed/1' });
    expect(delayed.failed).toBe(0);
    expect(delayed.minMs).toBeGreaterThanOrEqual(400);
  });
});
