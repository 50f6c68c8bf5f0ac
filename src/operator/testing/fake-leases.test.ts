import { ApiException, CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fakeApiServer, sendJson } from './fake-apiserver.js';
import { fakeLeases } from './fake-leases.js';

describe('fakeLeases', () => {
  it('reads, creates once and replaces only at the current resourceVersion', async () => {
    const leases = fakeLeases();
    const api = await fakeApiServer((_seen, res, req) => {
      if (!leases.handle(req, res)) sendJson(res, 404, {});
    });
    const client = api.kc.makeApiClient(CoordinationV1Api);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 0,
        (err: unknown) => (err instanceof ApiException ? err.code : -1),
      );
    try {
      expect(await code(client.readNamespacedLease({ name: 'l', namespace: 'n' }))).toBe(404);
      const body = { metadata: { name: 'l' }, spec: { holderIdentity: 'a', renewTime: new V1MicroTime(0) } };
      const created = await client.createNamespacedLease({ namespace: 'n', body });
      expect(await code(client.createNamespacedLease({ namespace: 'n', body }))).toBe(409);
      // MicroTime goes over the wire with six fractional digits.
      expect(leases.lease('n', 'l')?.spec?.renewTime).toBe('1970-01-01T00:00:00.000000Z');
      const read = await client.readNamespacedLease({ name: 'l', namespace: 'n' });
      await client.replaceNamespacedLease({
        name: 'l',
        namespace: 'n',
        body: { ...read, spec: { holderIdentity: 'b' } },
      });
      expect(await code(client.replaceNamespacedLease({ name: 'l', namespace: 'n', body: created }))).toBe(
        409,
      );
      expect(leases.holder('n', 'l')).toBe('b');
      leases.state.down = true;
      expect(await code(client.readNamespacedLease({ name: 'l', namespace: 'n' }))).toBe(503);
    } finally {
      await api.close();
    }
  });
});
