import { describe, expect, it } from 'vitest';
import { kubeGet } from '../kube-get.js';
import { fakeApiServer, sendJson } from './fake-apiserver.js';

describe('fakeApiServer', () => {
  it('answers through a KubeConfig and records lists and watches apart', async () => {
    const api = await fakeApiServer((_req, res) => sendJson(res, 200, { ok: true }));
    try {
      await expect(kubeGet(api.kc, '/api/v1/configmaps', { watch: 'true' }, 5000)).resolves.toEqual({
        ok: true,
      });
      await expect(kubeGet(api.kc, '/api/v1/configmaps', {}, 5000)).resolves.toEqual({ ok: true });
      expect(api.watches()).toHaveLength(1);
      expect(api.lists()).toHaveLength(1);
    } finally {
      await api.close();
    }
  });
});
