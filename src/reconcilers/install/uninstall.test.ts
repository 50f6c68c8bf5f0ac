import { describe, expect, it } from 'vitest';
import { desiredInstall } from './desired.js';
import { refOf } from './object.js';
import { owner, scopedTarget, spec, target } from './testing/fixtures.js';
import { uninstallOrder } from './uninstall.js';

const ids = (refs: Array<{ kind: string; namespace?: string | undefined; name: string }>) =>
  refs.map((r) => `${r.kind} ${r.namespace ?? ''}/${r.name}`);

describe('uninstallOrder', () => {
  it('starts with the webhook configuration and ends with the CA', () => {
    const order = ids(uninstallOrder(target));
    expect(order[0]).toBe('MutatingWebhookConfiguration /trellis-injector');
    expect(order.slice(-4)).toEqual([
      'ClusterIssuer /trellis-mesh-ca',
      'Certificate cert-manager/trellis-mesh-ca',
      'Secret cert-manager/trellis-mesh-ca',
      'Issuer cert-manager/trellis-mesh-selfsigned',
    ]);
  });

  it.each([
    ['self-signed root', {}],
    ["the user's issuer", { certificates: { root: { issuerRef: { name: 'corp-ca' } } } }],
  ])('covers everything the install applies (%s), and the Secrets cert-manager wrote', (_what, input) => {
    for (const t of [target, scopedTarget]) {
      const out = desiredInstall(spec(input), t, owner);
      if (!out.ok) throw new Error(out.message);
      const order = ids(uninstallOrder(t));
      expect(order).toEqual(expect.arrayContaining(ids(out.objects.map(refOf))));
      expect(order.filter((o) => o.startsWith('Secret '))).toEqual([
        `Secret ${t.namespace}/trellis-injector-tls`,
        `Secret cert-manager/trellis-mesh-ca${t.suffix}`,
      ]);
    }
  });
});
