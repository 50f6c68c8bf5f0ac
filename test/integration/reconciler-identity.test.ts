import { X509Certificate } from 'node:crypto';
import { describe, expect } from 'vitest';
import { meshConfig } from '../../src/api/crds/index.js';
import type { IssuerRef } from '../../src/reconcilers/identity.js';
import { IdentityReconciler } from '../../src/reconcilers/identity-reconciler.js';
import { staticReader } from '../../src/reconcilers/observed.js';
import { kubeWriter } from '../../src/reconcilers/writer.js';
import { createCaIssuer } from '../fixtures/reconcilers/ca-issuer.js';
import { meshedPod } from '../fixtures/reconcilers/objects.js';
import { listObserved } from '../fixtures/reconcilers/observed.js';
import { apiStatus, eventually, type Kube } from '../support/kube.js';
import { test } from '../support/namespace.js';

/** An in-memory MeshConfig: the cluster's `default` is shared with other tests and left alone. */
const mesh = meshConfig.parse({
  apiVersion: 'trellis.dev/v1alpha1',
  kind: 'MeshConfig',
  metadata: { name: 'default' },
  spec: { trustDomain: 'cluster.local' },
});

const cm = { group: 'cert-manager.io', version: 'v1', plural: 'certificates' };

async function reconcileOnce(k: Kube, ns: string, issuer: IssuerRef) {
  const state = await listObserved(k, ns, mesh);
  await new IdentityReconciler(staticReader(state), kubeWriter(k.kc), issuer).reconcile(
    { name: ns },
    new AbortController().signal,
  );
}

type Cert = {
  metadata: { resourceVersion: string; managedFields?: Array<{ manager: string }> };
  spec: { duration: string; renewBefore: string; uris: string[]; secretName: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
};
const getCert = async (k: Kube, ns: string, name: string) =>
  (await k.custom.getNamespacedCustomObject({ ...cm, namespace: ns, name })) as Cert;

const gone = async (read: () => Promise<unknown>) => {
  try {
    await read();
    return undefined;
  } catch (err) {
    if (apiStatus(err) === 404) return true;
    throw err;
  }
};

describe('identity reconciler against the API server and cert-manager', () => {
  test('a meshed pod’s ServiceAccount gets a SPIFFE certificate from cert-manager; the last pod gone, it is removed', async ({
    kube: k,
    ns,
  }) => {
    const issuer = await createCaIssuer(k, ns);
    await k.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'web' } } });
    await k.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'plain' } } });
    await k.core.createNamespacedPod({ namespace: ns, body: meshedPod('web-1', 'web') });
    await k.core.createNamespacedPod({ namespace: ns, body: meshedPod('plain-1', 'plain', false) });

    await reconcileOnce(k, ns, issuer);
    await eventually('Certificate trellis-identity-web Ready', async () => {
      const c = await getCert(k, ns, 'trellis-identity-web');
      return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
    });
    expect(await gone(() => getCert(k, ns, 'trellis-identity-plain'))).toBe(true);
    const stored = await getCert(k, ns, 'trellis-identity-web');
    expect(stored.spec).toMatchObject({
      duration: '24h',
      renewBefore: '8h',
      uris: [`spiffe://cluster.local/ns/${ns}/sa/web`],
      secretName: 'trellis-identity-web',
    });
    expect(stored.metadata.managedFields?.map((f) => f.manager)).toContain('trellis-operator');

    const secret = await k.core.readNamespacedSecret({ name: 'trellis-identity-web', namespace: ns });
    const pem = (f: string) => Buffer.from(secret.data?.[f] ?? '', 'base64').toString('utf8');
    const cert = new X509Certificate(pem('tls.crt'));
    const ca = new X509Certificate(pem('ca.crt'));
    expect(cert.subjectAltName).toBe(`URI:spiffe://cluster.local/ns/${ns}/sa/web`);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(pem('tls.key')).toContain('PRIVATE KEY');
    const lifetimeHours = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3_600_000;
    expect(lifetimeHours).toBe(24);

    // Same input again: the Certificate is not written.
    const before = await getCert(k, ns, 'trellis-identity-web');
    await reconcileOnce(k, ns, issuer);
    expect((await getCert(k, ns, 'trellis-identity-web')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );

    // The last meshed pod of the ServiceAccount goes: so do its Certificate and Secret.
    await k.core.deleteNamespacedPod({ name: 'web-1', namespace: ns, gracePeriodSeconds: 0 });
    await eventually('pod web-1 gone', () =>
      gone(() => k.core.readNamespacedPod({ name: 'web-1', namespace: ns })),
    );
    await reconcileOnce(k, ns, issuer);
    expect(await gone(() => getCert(k, ns, 'trellis-identity-web'))).toBe(true);
    expect(
      await gone(() => k.core.readNamespacedSecret({ name: 'trellis-identity-web', namespace: ns })),
    ).toBe(true);
  });
});
