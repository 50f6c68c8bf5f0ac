import type { ServerResponse } from 'node:http';
import type { KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Informer, type InformerEvent, type InformerTiming, type RestartReason } from './informer.js';
import { configMap, fakeApiServer, sendJson } from './testing/fake-apiserver.js';

const logger = pino({ level: 'silent' });
const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps' };
const timing: InformerTiming = {
  restartBackoff: { baseMs: 50, capMs: 400 },
  watchTimeoutSeconds: 300,
  watchdogMs: 60_000,
  relistMs: 60_000,
  listTimeoutMs: 5000,
  minWatchMs: 200,
};
const wait = { timeout: 10_000, interval: 20 };

function event(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(answer: Parameters<typeof fakeApiServer>[0], overrides: Partial<InformerTiming> = {}) {
  const api = await fakeApiServer(answer);
  const restarts: RestartReason[] = [];
  const events: Array<[InformerEvent, string]> = [];
  const informer = new Informer<KubernetesObject>(api.kc, resource, { ...timing, ...overrides }, logger, {
    restarted: (reason) => restarts.push(reason),
  });
  informer.onChange((type, obj) => events.push([type, `${obj.metadata?.namespace}/${obj.metadata?.name}`]));
  cleanups.push(
    () => api.close(),
    () => informer.stop(),
  );
  return { api, informer, restarts, events };
}

describe('Informer', () => {
  it('lists, watches from the list resourceVersion, and serves the cache by namespace and labels', async () => {
    let stream: ServerResponse | undefined;
    const { api, informer, events } = await setup((req, res) => {
      if (!req.watch) {
        sendJson(res, 200, {
          metadata: { resourceVersion: '10' },
          items: [configMap('a', 'one', '8', { app: 'x' }), configMap('b', 'two', '9', { app: 'y' })],
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      stream = res;
    });
    informer.start();
    await informer.waitForSync();
    await vi.waitFor(() => expect(stream).toBeDefined(), wait);
    const watch = api.watches()[0];
    expect(watch?.query.get('resourceVersion')).toBe('10');
    expect(watch?.query.get('allowWatchBookmarks')).toBe('true');
    expect(watch?.query.get('timeoutSeconds')).toBe('300');

    if (!stream) throw new Error('no stream');
    event(stream, 'ADDED', configMap('c', 'one', '11', { app: 'x' }));
    event(stream, 'MODIFIED', configMap('b', 'two', '12', { app: 'x' }));
    event(stream, 'DELETED', configMap('a', 'one', '13', { app: 'x' }));
    await vi.waitFor(() => expect(events).toHaveLength(5), wait);
    expect(events).toEqual([
      ['add', 'one/a'],
      ['add', 'two/b'],
      ['add', 'one/c'],
      ['update', 'two/b'],
      ['delete', 'one/a'],
    ]);
    expect(informer.get('b', 'two')?.metadata?.resourceVersion).toBe('12');
    expect(informer.get('a', 'one')).toBeUndefined();
    expect(informer.list({ labels: { app: 'x' } }).map((o) => o.metadata?.name)).toEqual(['c', 'b']);
    expect(informer.list({ namespace: 'two' }).map((o) => o.metadata?.name)).toEqual(['b']);
    expect(informer.list({ namespace: 'one', labels: { app: 'y' } })).toEqual([]);
  });

  it('replaces a silent stream after the watchdog limit, resuming from the last resourceVersion', async () => {
    const { api, informer, restarts } = await setup(
      (req, res) => {
        if (!req.watch) {
          sendJson(res, 200, { metadata: { resourceVersion: '10' }, items: [] });
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (api.watches().length === 1) event(res, 'BOOKMARK', { metadata: { resourceVersion: '15' } });
      },
      { watchdogMs: 300 },
    );
    informer.start();
    await vi.waitFor(() => expect(api.watches().length).toBeGreaterThanOrEqual(2), wait);
    expect(api.watches()[1]?.query.get('resourceVersion')).toBe('15');
    expect(informer.streamsOpened).toBeGreaterThanOrEqual(2);
    expect(api.lists()).toHaveLength(1);
    expect(restarts[0]).toBe('watchdog');
  });

  it('restarts a failing list with doubling delays until it succeeds', async () => {
    const { api, informer, restarts } = await setup((req, res) => {
      if (req.watch) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return;
      }
      if (api.lists().length <= 3) sendJson(res, 500, { message: 'etcd is sulking' });
      else sendJson(res, 200, { metadata: { resourceVersion: '1' }, items: [] });
    });
    informer.start();
    await informer.waitForSync();
    const at = api.lists().map((l) => l.at);
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    // Lower bounds only: a slow machine may wait longer, never shorter.
    expect(gaps[0]).toBeGreaterThanOrEqual(50 - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(100 - 5);
    expect(gaps[2]).toBeGreaterThanOrEqual(200 - 5);
    expect(restarts).toEqual(['error', 'error', 'error']);
  });

  it('re-lists periodically and reports what disappeared as deleted', async () => {
    const { api, informer, events } = await setup(
      (req, res) => {
        if (req.watch) {
          res.writeHead(200, { 'content-type': 'application/json' });
          return;
        }
        const items =
          api.lists().length === 1 ? [configMap('a', 'one', '1'), configMap('b', 'one', '2')] : [];
        sendJson(res, 200, { metadata: { resourceVersion: String(api.lists().length * 10) }, items });
      },
      { relistMs: 300 },
    );
    informer.start();
    await vi.waitFor(() => expect(api.lists().length).toBeGreaterThanOrEqual(2), wait);
    await vi.waitFor(() => expect(informer.list()).toEqual([]), wait);
    expect(events).toEqual([
      ['add', 'one/a'],
      ['add', 'one/b'],
      ['delete', 'one/a'],
      ['delete', 'one/b'],
    ]);
    // The re-list ends with a fresh stream.
    await vi.waitFor(() => expect(api.watches().length).toBeGreaterThanOrEqual(2), wait);
  });

  it('treats a stream the server closes at once as a failure and backs off', async () => {
    const { api, informer, restarts } = await setup((req, res) => {
      if (!req.watch) sendJson(res, 200, { metadata: { resourceVersion: '1' }, items: [] });
      // A line without an object, then the end: neither may break the informer.
      else sendJson(res, 200, {});
    });
    informer.start();
    await vi.waitFor(() => expect(api.watches().length).toBeGreaterThanOrEqual(3), wait);
    expect(restarts.slice(0, 2)).toEqual(['error', 'error']);
    const at = api.watches().map((w) => w.at);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(100 - 5);
  });

  it('lists again when the stream says its resourceVersion is gone (410)', async () => {
    const { api, informer, events } = await setup(
      (req, res) => {
        if (!req.watch) {
          const n = api.lists().length;
          sendJson(res, 200, {
            metadata: { resourceVersion: String(n * 10) },
            items: [configMap(`gen-${n}`, 'one', '1')],
          });
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (api.watches().length === 1) {
          event(res, 'ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
          res.end();
        }
      },
      { minWatchMs: 0 },
    );
    informer.start();
    await vi.waitFor(() => expect(api.lists()).toHaveLength(2), wait);
    await vi.waitFor(() => expect(api.watches()).toHaveLength(2), wait);
    expect(api.watches()[1]?.query.get('resourceVersion')).toBe('20');
    expect(events).toEqual([
      ['add', 'one/gen-1'],
      ['delete', 'one/gen-1'],
      ['add', 'one/gen-2'],
    ]);
  });

  it('opens no stream after stop', async () => {
    const { api, informer } = await setup((req, res) => {
      if (!req.watch) sendJson(res, 200, { metadata: { resourceVersion: '1' }, items: [] });
      else res.writeHead(200, { 'content-type': 'application/json' });
    });
    informer.start();
    await vi.waitFor(() => expect(api.watches()).toHaveLength(1), wait);
    await informer.stop();
    informer.restart();
    await new Promise((r) => setTimeout(r, 200));
    expect(api.watches()).toHaveLength(1);
    expect(() => informer.start()).toThrow(/already started/);
  });
});
