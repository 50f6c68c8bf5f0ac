import type { ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GuardedWatch } from './guarded-watch.js';
import { fakeApiServer } from './testing/fake-apiserver.js';

const wait = { timeout: 5000, interval: 10 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fake API server whose watch streams the test holds, and a GuardedWatch on it that records what it reports. */
async function setup(minWatchMs = 0) {
  const streams: ServerResponse[] = [];
  const api = await fakeApiServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    // Watch resolves once the response headers arrive; send them now, as the API server does.
    res.flushHeaders();
    streams.push(res);
  });
  cleanups.push(() => api.close());
  const hooks = { opened: vi.fn(), activity: vi.fn() };
  const watch = new GuardedWatch(api.kc, { timeoutSeconds: 30, minWatchMs, ...hooks });
  const events: string[] = [];
  const ends: unknown[] = [];
  const open = () =>
    watch.watch(
      '/api/v1/configmaps',
      { resourceVersion: '7' },
      (phase, obj: { metadata?: { name?: string } }) => events.push(`${phase} ${obj.metadata?.name}`),
      (err) => ends.push(err),
    );
  return { api, streams, hooks, watch, events, ends, open };
}

const send = (res: ServerResponse | undefined, type: string, name: string) =>
  res?.write(`${JSON.stringify({ type, object: { metadata: { name, resourceVersion: '8' } } })}\n`);

describe('GuardedWatch', () => {
  it('opens a stream only against a grant, asking for bookmarks and the server-side timeout', async () => {
    const { api, watch, open, hooks } = await setup();
    expect((await open()).signal.aborted).toBe(true);
    expect(api.watches()).toHaveLength(0);
    watch.grant();
    await open();
    expect((await open()).signal.aborted).toBe(true);
    expect(api.watches()).toHaveLength(1);
    expect(hooks.opened).toHaveBeenCalledTimes(1);
    const query = api.watches()[0]?.query;
    expect(query?.get('allowWatchBookmarks')).toBe('true');
    expect(query?.get('timeoutSeconds')).toBe('30');
    expect(query?.get('resourceVersion')).toBe('7');
  });

  it('drops whatever an invalidated stream still reports', async () => {
    const { streams, watch, open, events, ends } = await setup();
    watch.grant();
    await open();
    await vi.waitFor(() => expect(streams).toHaveLength(1), wait);
    send(streams[0], 'ADDED', 'a');
    await vi.waitFor(() => expect(events).toEqual(['ADDED a']), wait);
    watch.invalidate();
    send(streams[0], 'ADDED', 'b');
    streams[0]?.end();
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual(['ADDED a']);
    expect(ends).toEqual([]);
  });

  it('reports a clean close after the minimum as one, with a grant for the reconnect', async () => {
    const { streams, watch, open, ends, api } = await setup(0);
    watch.grant();
    await open();
    await vi.waitFor(() => expect(streams).toHaveLength(1), wait);
    streams[0]?.end();
    await vi.waitFor(() => expect(ends).toEqual([null]), wait);
    await open();
    expect(api.watches()).toHaveLength(2);
  });

  it('reports a clean close sooner than the minimum as a failure', async () => {
    const { streams, watch, open, ends } = await setup(60_000);
    watch.grant();
    await open();
    await vi.waitFor(() => expect(streams).toHaveLength(1), wait);
    streams[0]?.end();
    await vi.waitFor(() => expect(ends).toHaveLength(1), wait);
    expect(String(ends[0])).toContain('was closed as soon as it opened');
  });

  it('ends the open stream with a 410 to make ListWatch re-list, and says when there is none', async () => {
    const { streams, watch, open, ends } = await setup();
    expect(watch.relist()).toBe(false);
    watch.grant();
    await open();
    await vi.waitFor(() => expect(streams).toHaveLength(1), wait);
    expect(watch.relist()).toBe(true);
    expect(ends).toEqual([{ statusCode: 410 }]);
    expect((await open()).signal.aborted).toBe(false);
  });

  it('reports a watch that cannot even be requested through done, not as a rejection', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
    const watch = new GuardedWatch(kc, {
      timeoutSeconds: 30,
      minWatchMs: 0,
      opened: () => {},
      activity: () => {},
    });
    const done = vi.fn();
    watch.grant();
    const controller = await watch.watch('/api/v1/configmaps', {}, () => {}, done);
    expect(controller.signal.aborted).toBe(true);
    expect(String(done.mock.calls[0]?.[0])).toContain('No currently active cluster');
  });

  it('opens nothing once closed', async () => {
    const { api, watch, open } = await setup();
    watch.close();
    watch.grant();
    expect((await open()).signal.aborted).toBe(true);
    expect(api.watches()).toHaveLength(0);
  });
});
