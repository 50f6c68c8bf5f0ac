import { describe, expect, it } from 'vitest';
import { KubeGetError, kubeGet } from './kube-get.js';
import { fakeApiServer, sendJson } from './testing/fake-apiserver.js';

describe('kubeGet', () => {
  it('sends the query and parses the JSON answer', async () => {
    const api = await fakeApiServer((_req, res) => sendJson(res, 200, { items: [] }));
    try {
      const body = await kubeGet(
        api.kc,
        '/api/v1/configmaps',
        { labelSelector: 'a=b', fieldSelector: undefined },
        5000,
      );
      expect(body).toEqual({ items: [] });
      expect(api.seen[0]?.query.get('labelSelector')).toBe('a=b');
      expect(api.seen[0]?.query.has('fieldSelector')).toBe(false);
    } finally {
      await api.close();
    }
  });

  it('fails with the status code on an error answer', async () => {
    const api = await fakeApiServer((_req, res) => sendJson(res, 403, { message: 'forbidden' }));
    try {
      const err = await kubeGet(api.kc, '/api/v1/secrets', {}, 5000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeGetError);
      expect((err as KubeGetError).statusCode).toBe(403);
    } finally {
      await api.close();
    }
  });

  it('fails without a status code when the answer never comes', async () => {
    const api = await fakeApiServer(() => {});
    try {
      const err = await kubeGet(api.kc, '/api/v1/configmaps', {}, 200).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeGetError);
      expect((err as KubeGetError).statusCode).toBeUndefined();
    } finally {
      await api.close();
    }
  });

  it('fails when the answer is not JSON', async () => {
    const api = await fakeApiServer((_req, res) => res.end('not json'));
    try {
      await expect(kubeGet(api.kc, '/api/v1/configmaps', {}, 5000)).rejects.toThrow(/not JSON/);
    } finally {
      await api.close();
    }
  });
});
