import { describe, expect, it } from 'vitest';
import type { InstallObject } from './object.js';
import { owner, scopedTarget, spec, target } from './testing/fixtures.js';
import { desiredWebhook } from './webhook.js';

type Webhook = {
  name: string;
  failurePolicy: string;
  clientConfig: { service: object; caBundle?: string };
  namespaceSelector: { matchExpressions: Array<{ key: string; operator: string; values?: string[] }> };
};
const webhooks = (obj: InstallObject) => obj.webhooks as Webhook[];

describe('desiredWebhook', () => {
  it("points at the injector's Service, asks cainjector for the caBundle and never sets it itself", () => {
    const mwc = desiredWebhook(spec(), target, owner);
    expect(mwc.metadata.name).toBe('trellis-injector');
    expect(mwc.metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': 'trellis-system/trellis-injector',
    });
    expect(mwc.metadata.ownerReferences).toEqual([{ ...owner, controller: true }]);
    for (const w of webhooks(mwc)) {
      expect(w.clientConfig.service).toMatchObject({
        namespace: 'trellis-system',
        name: 'trellis-injector',
        port: 443,
      });
      expect(w.clientConfig.caBundle).toBeUndefined();
    }
  });

  it.each([
    ['Fail', ['Fail', 'Fail', 'Ignore']],
    ['Ignore', ['Ignore', 'Ignore', 'Ignore']],
  ] as const)(
    'failurePolicy %s applies to the fail-closed entries; the annotation entry always fails open',
    (policy, want) => {
      const mwc = desiredWebhook(spec({ injector: { failurePolicy: policy } }), target, owner);
      expect(webhooks(mwc).map((w) => w.failurePolicy)).toEqual(want);
    },
  );

  it('excludes spec.injectionNamespaceExclusions (sorted) and keeps a scoped target to its namespaces', () => {
    const mwc = desiredWebhook(
      spec({ injectionNamespaceExclusions: ['zeta', 'alpha'] }),
      scopedTarget,
      owner,
    );
    expect(mwc.metadata.name).toBe('trellis-injector-t-1');
    for (const w of webhooks(mwc)) {
      expect(w.namespaceSelector.matchExpressions.slice(-2)).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['alpha', 'zeta'] },
        { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['t-1'] },
      ]);
    }
  });

  it('adds no empty exclusion term', () => {
    const mwc = desiredWebhook(spec({ injectionNamespaceExclusions: [] }), target, owner);
    for (const w of webhooks(mwc)) {
      expect(w.namespaceSelector.matchExpressions.filter((e) => e.values?.length === 0)).toEqual([]);
    }
  });
});
