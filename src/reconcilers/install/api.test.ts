import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, sendJson } from '../../operator/testing/fake-apiserver.js';
import { ApplyConflict, kubeInstallApi } from './api.js';
import { scopedTarget } from './testing/fixtures.js';

interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
}

const discovery: Record<string, object> = {
  '/apis/apps/v1': { resources: [{ name: 'deployments', kind: 'Deployment', namespaced: true, verbs: [] }] },
  '/api/v1': { resources: [{ name: 'secrets', kind: 'Secret', namespaced: true, verbs: [] }] },
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A fake API server answering discovery, and everything else with `answer` (path → status and body). */
async function server(answer: (r: Request) => [number, unknown]) {
  const requests: Request[] = [];
  const api = await fakeApiServer((_seen, res, req: IncomingMessage) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const known = discovery[url.pathname];
      if (req.method === 'GET' && known) return sendJson(res, 200, known);
      const r: Request = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(r);
      const [status, body] = answer(r);
      sendJson(res, status, body);
    });
  });
  closers.push(() => api.close());
  return { api: kubeInstallApi(api.kc, scopedTarget), requests };
}

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'trellis-injector', namespace: 't-1' },
  spec: { replicas: 2 },
};
const status = (code: number, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  message,
});

describe('kubeInstallApi', () => {
  it('applies server-side as trellis-operator without forcing', async () => {
    const { api, requests } = await server(() => [200, deployment]);
    await api.apply(deployment);
    expect(requests).toMatchObject([
      {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/t-1/deployments/trellis-injector',
        contentType: 'application/apply-patch+yaml',
      },
    ]);
    expect(requests[0]?.query.get('fieldManager')).toBe('trellis-operator');
    expect(requests[0]?.query.get('force')).toBe('false');
  });

  it("turns a 409 into an ApplyConflict carrying the API server's message", async () => {
    const message =
      'Apply failed with 1 conflict: conflict with "argocd-controller" using apps/v1: .spec.replicas';
    const { api } = await server(() => [409, status(409, message)]);
    const err = await api.apply(deployment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyConflict);
    expect((err as Error).message).toBe(message);
  });

  it('passes any other failure on as it is', async () => {
    const { api } = await server(() => [403, status(403, 'forbidden')]);
    await expect(api.apply(deployment)).rejects.not.toBeInstanceOf(ApplyConflict);
  });

  it('reads a missing object as undefined and deletes in the background, a missing one being fine', async () => {
    const { api, requests } = await server(() => [404, status(404, 'not found')]);
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace: 't-1', name: 'trellis-injector-tls' };
    expect(await api.get(ref)).toBeUndefined();
    await api.delete(ref);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/namespaces/t-1/secrets/trellis-injector-tls',
      'DELETE /api/v1/namespaces/t-1/secrets/trellis-injector-tls',
    ]);
    expect(requests[1]?.query.get('propagationPolicy')).toBe('Background');
  });

  it("applies the MeshConfig's finalizer alone, and releases it by applying none (others' stay)", async () => {
    const { api, requests } = await server(() => [200, {}]);
    await api.applyMeshConfigFinalizers('default', ['trellis.dev/uninstall']);
    await api.applyMeshConfigFinalizers('default', []);
    expect(requests.map((r) => [r.method, r.path, r.contentType, r.body])).toEqual([
      [
        'PATCH',
        '/apis/t-1.trellis.test/v1alpha1/meshconfigs/default',
        'application/apply-patch+yaml',
        {
          apiVersion: 't-1.trellis.test/v1alpha1',
          kind: 'MeshConfig',
          metadata: { name: 'default', finalizers: ['trellis.dev/uninstall'] },
        },
      ],
      [
        'PATCH',
        '/apis/t-1.trellis.test/v1alpha1/meshconfigs/default',
        'application/apply-patch+yaml',
        { apiVersion: 't-1.trellis.test/v1alpha1', kind: 'MeshConfig', metadata: { name: 'default' } },
      ],
    ]);
  });

  it('ignores a MeshConfig already gone when releasing the finalizer', async () => {
    const { api } = await server(() => [404, status(404, 'not found')]);
    await expect(api.applyMeshConfigFinalizers('default', [])).resolves.toBeUndefined();
    expect(await api.meshConfig('default')).toBeUndefined();
  });

  it('applies the whole status to the status subresource, forced', async () => {
    const { api, requests } = await server(() => [200, {}]);
    await api.applyMeshConfigStatus('default', { observedGeneration: 2 });
    expect(requests[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/t-1.trellis.test/v1alpha1/meshconfigs/default/status',
      contentType: 'application/apply-patch+yaml',
      body: {
        apiVersion: 't-1.trellis.test/v1alpha1',
        kind: 'MeshConfig',
        metadata: { name: 'default' },
        status: { observedGeneration: 2 },
      },
    });
    expect(requests[0]?.query.get('force')).toBe('true');
    expect(requests[0]?.query.get('fieldManager')).toBe('trellis-operator');
  });
});
