import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  KeepAliveAgents,
  keepAliveAgents,
  makeKeepAliveClient,
  makeKeepAliveObjectApi,
} from './keep-alive.js';
import { kubeGet } from './kube-get.js';
import { fakeApiServer, sendJson } from './testing/fake-apiserver.js';

/** A fake API server that counts the TCP connections its requests arrived on. */
async function countingServer() {
  const sockets = new Set<Socket>();
  const api = await fakeApiServer((_req, res, raw) => {
    sockets.add(raw.socket);
    sendJson(res, 200, { apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [] });
  });
  return { ...api, connections: () => sockets.size };
}

describe('KeepAliveAgents', () => {
  it('hands out one keep-alive agent per distinct TLS setting', () => {
    const pool = new KeepAliveAgents();
    const a = pool.reuse(new HttpsAgent({ ca: 'ca-1', cert: 'c', key: 'k' }));
    expect(pool.reuse(new HttpsAgent({ ca: 'ca-1', cert: 'c', key: 'k' }))).toBe(a);
    expect(pool.reuse(new HttpsAgent({ ca: Buffer.from('ca-2'), cert: 'c', key: 'k' }))).not.toBe(a);
    expect(
      pool.reuse(new HttpsAgent({ ca: 'ca-1', cert: 'c', key: 'k', rejectUnauthorized: false })),
    ).not.toBe(a);
    expect(pool.reuse(new HttpAgent())).toBeInstanceOf(HttpAgent);
    expect(pool.size).toBe(4);
    expect((a as HttpsAgent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect(a).toBeInstanceOf(HttpsAgent);
    pool.destroy();
    expect(pool.size).toBe(0);
  });

  it('leaves any other agent (a proxy agent subclass) as it is', () => {
    class ProxyAgent extends HttpsAgent {}
    const pool = new KeepAliveAgents();
    const proxy = new ProxyAgent();
    expect(pool.reuse(proxy)).toBe(proxy);
    expect(pool.size).toBe(0);
  });

  it('one pool per KubeConfig', async () => {
    const one = await fakeApiServer(() => {});
    const two = await fakeApiServer(() => {});
    try {
      expect(keepAliveAgents(one.kc)).toBe(keepAliveAgents(one.kc));
      expect(keepAliveAgents(one.kc)).not.toBe(keepAliveAgents(two.kc));
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('clients over the pool', () => {
  it('client-node as it comes opens a connection per call', async () => {
    const api = await countingServer();
    try {
      const core = api.kc.makeApiClient(CoreV1Api);
      for (let i = 0; i < 3; i++) await core.listNamespace();
      expect(api.connections()).toBe(3);
    } finally {
      await api.close();
    }
  });

  it('a keep-alive client makes its calls over one connection', async () => {
    const api = await countingServer();
    try {
      const core = makeKeepAliveClient(api.kc, CoreV1Api);
      for (let i = 0; i < 3; i++) expect((await core.listNamespace()).items).toEqual([]);
      expect(api.connections()).toBe(1);
    } finally {
      keepAliveAgents(api.kc).destroy();
      await api.close();
    }
  });

  it('kubeGet reuses the same pool', async () => {
    const api = await countingServer();
    try {
      for (let i = 0; i < 3; i++) await kubeGet(api.kc, '/api/v1/namespaces', {}, 5000);
      await makeKeepAliveClient(api.kc, CoreV1Api).listNamespace();
      expect(api.connections()).toBe(1);
    } finally {
      keepAliveAgents(api.kc).destroy();
      await api.close();
    }
  });
  it('the object API takes the context namespace as its default, as makeApiClient does, over one connection', async () => {
    const paths: string[] = [];
    const sockets = new Set<Socket>();
    const api = await fakeApiServer((_req, res, raw) => {
      paths.push(raw.url ?? '');
      sockets.add(raw.socket);
      if ((raw.url ?? '').startsWith('/api/v1?') || raw.url === '/api/v1') {
        sendJson(res, 200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: ['get'] }],
        });
        return;
      }
      sendJson(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ctx' } });
    });
    try {
      const context = api.kc.getContextObject(api.kc.currentContext);
      if (context) Object.assign(context, { namespace: 'ctx' });
      const objects = makeKeepAliveObjectApi(api.kc);
      for (let i = 0; i < 2; i++)
        await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
      expect(paths.filter((p) => p.includes('/configmaps/'))).toEqual([
        '/api/v1/namespaces/ctx/configmaps/x',
        '/api/v1/namespaces/ctx/configmaps/x',
      ]);
      expect(sockets.size).toBe(1);
    } finally {
      keepAliveAgents(api.kc).destroy();
      await api.close();
    }
  });
});
