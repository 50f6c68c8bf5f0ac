import type { ServerResponse } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Controller, type ControllerContext, ownKey, watch } from './controller.js';
import type { InformerTiming } from './informer.js';
import { OperatorMetrics } from './metrics.js';
import type { ObjectKey } from './reconciler.js';
import { ControllerRuntime } from './runtime.js';
import { configMap, fakeApiServer, sendJson } from './testing/fake-apiserver.js';

const logger = pino({ level: 'silent' });
const wait = { timeout: 10_000, interval: 20 };
const informer: InformerTiming = {
  restartBackoff: { baseMs: 50, capMs: 400 },
  watchTimeoutSeconds: 300,
  watchdogMs: 60_000,
  relistMs: 60_000,
  listTimeoutMs: 5000,
  minWatchMs: 200,
};
const configMaps = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps' };

function recording(name: string, watches = [watch(configMaps, ownKey)]) {
  const seen: ObjectKey[] = [];
  let context: ControllerContext | undefined;
  const controller: Controller = {
    setup: (ctx) => {
      context = ctx;
      const reconciler = {
        name,
        async reconcile(key: ObjectKey) {
          seen.push(key);
          return undefined;
        },
      };
      return { watches, reconciler };
    },
  };
  return { controller, seen, context: () => context };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(controllers: Controller[]) {
  let releaseList: () => void = () => {};
  const listed = new Promise<void>((resolve) => {
    releaseList = resolve;
  });
  const api = await fakeApiServer((req, res: ServerResponse) => {
    if (req.watch) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return;
    }
    void listed.then(() =>
      sendJson(res, 200, {
        metadata: { resourceVersion: '5' },
        items: [configMap('a', 'one', '1'), configMap('b', 'two', '2')],
      }),
    );
  });
  cleanups.push(() => api.close());
  const metrics = new OperatorMetrics();
  const runtime = new ControllerRuntime({
    kc: api.kc,
    controllers,
    informer,
    queue: { workers: 2, backoff: { baseMs: 10, capMs: 100 } },
    logger,
    metrics,
  });
  cleanups.push(() => runtime.stop(1000));
  return { api, runtime, metrics, releaseList };
}

describe('ControllerRuntime', () => {
  it('starts workers only after the caches sync, sharing one informer between controllers', async () => {
    const first = recording('first');
    const second = recording('second');
    const { api, runtime, metrics, releaseList } = await setup([first.controller, second.controller]);
    const started = runtime.start();
    await vi.waitFor(() => expect(api.lists()).toHaveLength(1), wait);
    expect(runtime.unsynced()).toEqual(['configmaps']);
    expect(first.seen).toEqual([]);
    releaseList();
    await started;
    expect(runtime.unsynced()).toEqual([]);
    for (const { seen } of [first, second]) {
      await vi.waitFor(
        () =>
          expect(seen).toEqual([
            { namespace: 'one', name: 'a' },
            { namespace: 'two', name: 'b' },
          ]),
        wait,
      );
    }
    expect(api.lists()).toHaveLength(1);
    expect(first.context()?.cache(configMaps).get('a', 'one')?.metadata?.resourceVersion).toBe('1');
    expect(await metrics.registry.metrics()).toContain(
      'trellis_operator_reconciles_total{reconciler="second",result="success"} 2',
    );
    await runtime.stop(1000);
    expect(await metrics.registry.metrics()).not.toContain('trellis_operator_queue_depth{');
  });

  it('returns from start when stopped before the caches sync, having reconciled nothing', async () => {
    const only = recording('only');
    const { runtime, releaseList } = await setup([only.controller]);
    const started = runtime.start();
    await runtime.stop(1000);
    await started;
    releaseList();
    await new Promise((r) => setTimeout(r, 100));
    expect(only.seen).toEqual([]);
  });

  it('lets mappings hand keys on later through enqueue, and aborts the signal when the term ends', async () => {
    // A mapping that defers, as a debouncer does: no key at once, one key 50 ms later.
    let context: ControllerContext | undefined;
    const deferred = recording('deferred', [
      watch(configMaps, (obj) => {
        context?.enqueue({ name: `later-${obj.metadata?.name}` }, 50);
        return [];
      }),
    ]);
    const { runtime, releaseList } = await setup([deferred.controller]);
    context = deferred.context();
    expect(() => context?.enqueue({ name: 'x' })).not.toThrow();
    releaseList();
    await runtime.start();
    await vi.waitFor(
      () => expect(deferred.seen.map((k) => k.name).sort()).toEqual(['later-a', 'later-b', 'x']),
      wait,
    );
    expect(context?.signal.aborted).toBe(false);
    await runtime.stop(1000);
    expect(context?.signal.aborted).toBe(true);
    context?.enqueue({ name: 'after-the-term' });
    await new Promise((r) => setTimeout(r, 100));
    expect(deferred.seen.map((k) => k.name)).not.toContain('after-the-term');
  });

  it('refuses enqueue during setup', async () => {
    const eager: Controller = {
      setup: (ctx) => {
        ctx.enqueue({ name: 'too-soon' });
        return { watches: [], reconciler: { name: 'eager', reconcile: async () => undefined } };
      },
    };
    await expect(setup([eager])).rejects.toThrow('enqueue was called during setup');
  });

  it('refuses two controllers of one name, one id for two collections, and new caches once started', async () => {
    await expect(setup([recording('same').controller, recording('same').controller])).rejects.toThrow(
      'two controllers are named same',
    );
    const clash = recording('clash', [
      watch(configMaps, ownKey),
      watch({ ...configMaps, namespace: 'x' }, ownKey),
    ]);
    await expect(setup([clash.controller])).rejects.toThrow(
      'resource id configmaps names two different collections',
    );
    const late = recording('late');
    const { runtime, releaseList } = await setup([late.controller]);
    releaseList();
    await runtime.start();
    expect(() => late.context()?.cache({ id: 'secrets', apiVersion: 'v1', plural: 'secrets' })).toThrow(
      'cache secrets was asked for after the runtime started',
    );
  });
});
