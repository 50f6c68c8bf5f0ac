import http from 'node:http';
import type net from 'node:net';
import { KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mirror, type MirrorEvent } from './mirror.js';

const cm = (name: string, resourceVersion: string): V1ConfigMap => ({
  metadata: { name, namespace: 'ns', resourceVersion },
});

// A fake API server's watch endpoint: the test writes events to the open stream or ends it.
describe('Mirror', () => {
  let server: http.Server;
  let kc: KubeConfig;
  let watches: http.ServerResponse[];
  let urls: string[];
  let listed: V1ConfigMap[];
  let lists: number;
  let events: [MirrorEvent, string][];
  let mirror: Mirror<V1ConfigMap> | undefined;

  const start = (resyncMs?: number) => {
    mirror = new Mirror<V1ConfigMap>({
      kc,
      path: '/api/v1/configmaps',
      list: async () => {
        lists += 1;
        return { items: listed, metadata: { resourceVersion: String(lists) } };
      },
      onEvent: (event, o) => events.push([event, o.metadata?.name ?? '']),
      log: pino({ level: 'silent' }),
      ...(resyncMs === undefined ? {} : { resyncMs }),
    });
    return mirror;
  };
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(what()).toBe(true);
  };
  const send = (type: string, object: V1ConfigMap) =>
    watches.at(-1)?.write(`${JSON.stringify({ type, object })}\n`);

  beforeEach(async () => {
    watches = [];
    urls = [];
    listed = [];
    lists = 0;
    events = [];
    server = http.createServer((req, res) => {
      urls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      watches.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
  });
  afterEach(async () => {
    mirror?.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists, then follows the watch', async () => {
    listed = [cm('a', '1')];
    const m = start();
    await m.synced();
    expect(events).toEqual([['added', 'a']]);
    await until(() => watches.length === 1);
    send('MODIFIED', cm('a', '2'));
    send('ADDED', cm('b', '3'));
    send('DELETED', cm('a', '4'));
    await until(() => events.length === 4);
    expect(events.slice(1)).toEqual([
      ['modified', 'a'],
      ['added', 'b'],
      ['deleted', 'a'],
    ]);
    expect(m.get('ns', 'b')?.metadata?.resourceVersion).toBe('3');
    expect(m.get('ns', 'a')).toBeUndefined();
    // The watch starts from the list's resourceVersion.
    expect(urls[0]).toMatch(/^\/api\/v1\/configmaps\?.*watch=true/);
    expect(urls[0]).toContain('resourceVersion=1');
  });

  it('re-lists after the watch ends, reporting a deletion it missed', async () => {
    listed = [cm('a', '1'), cm('b', '1')];
    const m = start();
    await m.synced();
    await until(() => watches.length === 1);
    listed = [cm('a', '1')];
    watches[0]?.end();
    await until(() => events.some(([e, n]) => e === 'deleted' && n === 'b'));
    // The unchanged object is not news.
    expect(events.filter(([, n]) => n === 'a')).toEqual([['added', 'a']]);
    await until(() => watches.length === 2);
    expect(m.get('ns', 'b')).toBeUndefined();
  });

  it('re-lists on the resync period even when the watch stays open', async () => {
    listed = [cm('a', '1')];
    const m = start(200);
    await m.synced();
    listed = [cm('a', '2')];
    await until(() => events.some(([e]) => e === 'modified'));
    expect(m.get('ns', 'a')?.metadata?.resourceVersion).toBe('2');
  });
});
