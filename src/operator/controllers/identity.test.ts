import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Certificate } from '../../reconcilers/observed.js';
import { RecordingWriter } from '../../reconcilers/testing/recording-writer.js';
import { identityController } from './identity.js';
import { asStored, meshConfigJson, podJson } from './testing/cluster-json.js';
import { fakeContext } from './testing/fake-context.js';

const signal = new AbortController().signal;
const issuerRef = { name: 'test-ca', kind: 'Issuer' as const, group: 'cert-manager.io' };

function cluster() {
  const fake = fakeContext();
  const writer = new RecordingWriter();
  fake.held('meshconfigs').push(meshConfigJson());
  fake.held('pods').push(podJson('shop', 'web-1', 'web'), podJson('bank', 'api-1', 'api'));
  const { reconciler, watches } = identityController({ issuerRef, writer: () => writer }).setup(fake.context);
  const keysOf = (id: string, obj: Parameters<(typeof watches)[number]['keys']>[1]) =>
    watches.find((w) => w.resource.id === id)?.keys('update', obj);
  return { ...fake, writer, reconciler, watches, keysOf };
}

describe('identity controller', () => {
  it('watches pods, identity certificates and the MeshConfig', () => {
    const { watches } = cluster();
    expect(watches.map((w) => w.resource.id).sort()).toEqual([
      'identity-certificates',
      'meshconfigs',
      'pods',
    ]);
  });

  describe('events to debounced namespace keys', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const names = (keys: Array<{ name: string }>) => keys.map((k) => k.name);

    it('a pod or certificate concerns its namespace, the MeshConfig every meshed namespace; nothing before the pause', () => {
      vi.useFakeTimers();
      const { keysOf, enqueued } = cluster();
      expect(keysOf('pods', podJson('other', 'x', 'x'))).toEqual([]);
      expect(keysOf('identity-certificates', { metadata: { name: 'c', namespace: 'gone' } })).toEqual([]);
      expect(keysOf('meshconfigs', meshConfigJson())).toEqual([]);
      expect(enqueued).toEqual([]);
      vi.advanceTimersByTime(100);
      expect(names(enqueued).sort()).toEqual(['bank', 'gone', 'other', 'shop']);
    });

    it('a burst of 1,000 pod events in one namespace is one key', () => {
      vi.useFakeTimers();
      const { keysOf, enqueued } = cluster();
      for (let i = 0; i < 1000; i++) keysOf('pods', podJson('shop', `web-${i}`, 'web'));
      vi.advanceTimersByTime(100);
      expect(names(enqueued)).toEqual(['shop']);
    });

    it('a namespace changing without pause is still handed on after 1 s', () => {
      vi.useFakeTimers();
      const { keysOf, enqueued } = cluster();
      for (let t = 0; t < 1000; t += 50) {
        keysOf('pods', podJson('shop', 'web-1', 'web'));
        vi.advanceTimersByTime(50);
      }
      expect(names(enqueued)).toEqual(['shop']);
    });

    it('drops pending keys when the term ends', () => {
      vi.useFakeTimers();
      const { keysOf, enqueued, endTerm } = cluster();
      keysOf('pods', podJson('shop', 'web-1', 'web'));
      endTerm();
      vi.advanceTimersByTime(2000);
      expect(enqueued).toEqual([]);
    });
  });

  it('issues a Certificate from the configured issuer, then writes nothing once it is cached', async () => {
    const { writer, reconciler, held } = cluster();
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.applied).toHaveLength(1);
    const cert = writer.applied[0] as Certificate;
    expect(cert.metadata.name).toBe('trellis-identity-web');
    expect(cert.spec.issuerRef).toEqual(issuerRef);
    expect(cert.spec.uris).toEqual(['spiffe://cluster.local/ns/shop/sa/web']);
    expect(cert.metadata.ownerReferences?.[0]?.uid).toBe('uid--default');

    held('identity-certificates').push(asStored(cert));
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.applied).toHaveLength(1);

    held('pods').splice(0, 1);
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.deleted.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'Certificate/trellis-identity-web',
      'Secret/trellis-identity-web',
    ]);
  });
});
