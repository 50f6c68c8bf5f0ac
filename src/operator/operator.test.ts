import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config.js';
import { type Controller, ownKey, watch } from './controller.js';
import { startOperator } from './operator.js';
import type { ObjectKey } from './reconciler.js';
import { configMap, fakeApiServer, sendJson } from './testing/fake-apiserver.js';
import { fakeLeases } from './testing/fake-leases.js';

const logger = pino({ level: 'silent' });
const wait = { timeout: 10_000, interval: 20 };
const config = loadConfig({
  POD_NAME: 'op-a',
  TRELLIS_OPERATOR_HOST: '127.0.0.1',
  TRELLIS_OPERATOR_PORT: '0',
  TRELLIS_OPERATOR_LEASE_DURATION_MS: '1000',
  TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '600',
  TRELLIS_OPERATOR_RETRY_PERIOD_MS: '100',
  TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '500',
});

function recorder(name: string) {
  const seen: ObjectKey[] = [];
  const controller: Controller = {
    setup: () => ({
      watches: [watch({ id: 'configmaps', apiVersion: 'v1', plural: 'configmaps' }, ownKey)],
      reconciler: {
        name,
        async reconcile(key) {
          seen.push(key);
          return undefined;
        },
      },
    }),
  };
  return { controller, seen };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeCluster() {
  const leases = fakeLeases();
  let releaseList: () => void = () => {};
  const listed = new Promise<void>((resolve) => {
    releaseList = resolve;
  });
  const api = await fakeApiServer((req, res: ServerResponse, raw) => {
    if (leases.handle(raw, res)) return;
    if (req.watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return;
    }
    void listed.then(() =>
      sendJson(res, 200, { metadata: { resourceVersion: '3' }, items: [configMap('a', 'one', '1')] }),
    );
  });
  cleanups.push(() => api.close());
  return { api, leases, releaseList };
}

describe('startOperator', () => {
  it('leads, is ready once the caches sync, reconciles, and releases the Lease on stop', async () => {
    const { api, leases, releaseList } = await fakeCluster();
    const { controller, seen } = recorder('rec');
    const operator = await startOperator({ kc: api.kc, controllers: [controller], config, logger });
    cleanups.push(() => operator.stop());
    await vi.waitFor(() => expect(operator.isLeader()).toBe(true), wait);
    await vi.waitFor(
      () =>
        expect(operator.readiness()).toEqual({
          ready: false,
          detail: 'leading; caches not synced: configmaps',
        }),
      wait,
    );
    const readyz = await fetch(`http://127.0.0.1:${operator.port}/readyz`);
    expect(readyz.status).toBe(503);
    releaseList();
    await vi.waitFor(() => expect(seen).toEqual([{ namespace: 'one', name: 'a' }]), wait);
    expect(operator.readiness()).toEqual({ ready: true, detail: 'leading; caches synced' });
    expect(await (await fetch(`http://127.0.0.1:${operator.port}/metrics`)).text()).toContain(
      'trellis_operator_leader 1',
    );
    await operator.stop();
    expect(leases.holder('trellis-system', 'trellis-operator')).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${operator.port}/healthz`)).rejects.toThrow();
  });

  it('stands by, ready, when the Lease is held by a live leader', async () => {
    const { api, leases } = await fakeCluster();
    const leader = await startOperator({
      kc: api.kc,
      controllers: [recorder('rec').controller],
      config,
      logger,
    });
    cleanups.push(() => leader.stop());
    await vi.waitFor(() => expect(leader.isLeader()).toBe(true), wait);
    const standby = await startOperator({
      kc: api.kc,
      controllers: [recorder('rec').controller],
      config: { ...config, identity: 'op-b' },
      logger,
    });
    cleanups.push(() => standby.stop());
    await new Promise((r) => setTimeout(r, 300));
    expect(standby.isLeader()).toBe(false);
    expect(standby.readiness()).toEqual({ ready: true, detail: 'standing by' });
    expect(leases.holder('trellis-system', 'trellis-operator')).toBe('op-a');
  });

  it('stops its controllers when the Lease is lost', async () => {
    const { api, leases, releaseList } = await fakeCluster();
    releaseList();
    const operator = await startOperator({
      kc: api.kc,
      controllers: [recorder('rec').controller],
      config,
      logger,
    });
    cleanups.push(() => operator.stop());
    await vi.waitFor(() => expect(operator.isLeader()).toBe(true), wait);
    leases.state.down = true;
    await vi.waitFor(() => expect(operator.isLeader()).toBe(false), wait);
    expect(operator.readiness()).toEqual({ ready: true, detail: 'standing by' });
    expect(await operator.metrics.registry.metrics()).toContain('trellis_operator_leader 0');
    leases.state.down = false;
  });

  it('refuses to start with two controllers of one name', async () => {
    const { api } = await fakeCluster();
    await expect(
      startOperator({
        kc: api.kc,
        controllers: [recorder('x').controller, recorder('x').controller],
        config,
        logger,
      }),
    ).rejects.toThrow('two controllers are named x');
  });
});
