import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, type Seen, sendJson } from '../../operator/testing/fake-apiserver.js';
import { observeDataPlane } from './observe.js';
import { deployment, mesh, pod, t0 } from './testing/fixtures.js';

type Fake = Awaited<ReturnType<typeof fakeApiServer>>;
let fake: Fake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** Serves each path's items in pages of the asked limit; `continue` is the next offset. */
function pagedLists(lists: Record<string, unknown[]>, paths: string[]) {
  return (req: Seen, res: ServerResponse, raw: IncomingMessage) => {
    const path = new URL(raw.url ?? '/', 'http://x').pathname;
    paths.push(path);
    if (path === '/api/v1/namespaces/shop') {
      sendJson(res, 200, { metadata: { name: 'shop', labels: { team: 'a' } } });
      return;
    }
    const items = lists[path];
    if (!items) {
      sendJson(res, 404, { kind: 'Status', code: 404, message: `no ${path}` });
      return;
    }
    const offset = Number(req.query.get('continue') ?? '0');
    const limit = Number(req.query.get('limit') ?? '500');
    const next = offset + limit < items.length ? String(offset + limit) : undefined;
    sendJson(res, 200, {
      kind: 'List',
      metadata: next ? { continue: next } : {},
      items: items.slice(offset, offset + limit),
    });
  };
}

describe('observeDataPlane', () => {
  it('lists every kind cluster-wide, following continue tokens', async () => {
    const pods = Array.from({ length: 1201 }, (_, i) => pod(`p-${i}`));
    const paths: string[] = [];
    fake = await fakeApiServer(
      pagedLists(
        {
          '/api/v1/pods': pods,
          '/api/v1/namespaces': [{ metadata: { name: 'shop' } }],
          '/apis/apps/v1/replicasets': [],
          '/apis/apps/v1/deployments': [deployment('a')],
          '/apis/apps/v1/statefulsets': [],
          '/apis/apps/v1/daemonsets': [],
        },
        paths,
      ),
    );
    const observed = await observeDataPlane(fake.kc, mesh(), '0.2.0', t0);
    expect(observed.pods).toHaveLength(1201);
    expect(observed.pods[1200]?.metadata?.name).toBe('p-1200');
    expect(observed.deployments.map((d) => d.metadata?.name)).toEqual(['a']);
    expect(observed.namespaces.map((n) => n.metadata?.name)).toEqual(['shop']);
    expect(observed).toMatchObject({ installedVersion: '0.2.0', now: t0 });
    expect(paths.filter((p) => p === '/api/v1/pods')).toHaveLength(3);
  });

  it('stays in one namespace when asked', async () => {
    const paths: string[] = [];
    fake = await fakeApiServer(
      pagedLists(
        {
          '/api/v1/namespaces/shop/pods': [pod('a')],
          '/apis/apps/v1/namespaces/shop/replicasets': [],
          '/apis/apps/v1/namespaces/shop/deployments': [],
          '/apis/apps/v1/namespaces/shop/statefulsets': [],
          '/apis/apps/v1/namespaces/shop/daemonsets': [],
        },
        paths,
      ),
    );
    const observed = await observeDataPlane(fake.kc, mesh(), '0.2.0', t0, 'shop');
    expect(observed.pods.map((p) => p.metadata?.name)).toEqual(['a']);
    expect(observed.namespaces).toEqual([{ metadata: { name: 'shop', labels: { team: 'a' } } }]);
    expect(paths.every((p) => p.includes('/namespaces/shop'))).toBe(true);
  });

  it('fails rather than plan on part of a list that never ends', async () => {
    fake = await fakeApiServer((_req, res) =>
      sendJson(res, 200, { kind: 'List', metadata: { continue: 'again' }, items: [] }),
    );
    await expect(observeDataPlane(fake.kc, mesh(), '0.2.0', t0)).rejects.toThrow(
      'more than 100000 objects in one list; refusing to plan on part of them',
    );
  });

  it('fails when a list fails', async () => {
    fake = await fakeApiServer((_req, res) =>
      sendJson(res, 403, { kind: 'Status', code: 403, message: 'forbidden' }),
    );
    await expect(observeDataPlane(fake.kc, mesh(), '0.2.0', t0)).rejects.toThrow(/403/);
  });
});
