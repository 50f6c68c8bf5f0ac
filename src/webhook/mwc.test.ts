import type { V1LabelSelector, V1MutatingWebhook } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { renderWebhookConfiguration } from './mwc.js';

/** Label-selector semantics (In, NotIn, Exists, DoesNotExist), to check which entries a pod would reach. */
function matches(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  return (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const v = labels[key];
    switch (operator) {
      case 'In':
        return v !== undefined && values.includes(v);
      case 'NotIn':
        return v === undefined || !values.includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      default:
        throw new Error(`operator ${operator}`);
    }
  });
}

const mwc = renderWebhookConfiguration({
  target: { service: { namespace: 'trellis-system', name: 'trellis-injector' } },
  caFromCertificate: 'trellis-system/trellis-injector',
});
const reached = (ns: string, nsLabels: Record<string, string>, podLabels: Record<string, string>) =>
  mwc.webhooks
    ?.filter(
      (w: V1MutatingWebhook) =>
        matches(w.namespaceSelector, { 'kubernetes.io/metadata.name': ns, ...nsLabels }) &&
        matches(w.objectSelector, podLabels),
    )
    .map((w) => `${w.name} ${w.failurePolicy}`);

describe('the MutatingWebhookConfiguration', () => {
  const enabled = { 'trellis.dev/inject': 'enabled' };
  it.each<[string, string, Record<string, string>, Record<string, string>, string[]]>([
    ['labelled namespace', 'shop', enabled, {}, ['namespace.inject.trellis.dev Fail']],
    [
      'labelled namespace, pod says true',
      'shop',
      enabled,
      { 'trellis.dev/inject': 'true' },
      ['namespace.inject.trellis.dev Fail'],
    ],
    ['labelled namespace, pod label opts out', 'shop', enabled, { 'trellis.dev/inject': 'false' }, []],
    ['pod label', 'shop', {}, { 'trellis.dev/inject': 'true' }, ['label.inject.trellis.dev Fail']],
    ['pod label opts out', 'shop', {}, { 'trellis.dev/inject': 'false' }, []],
    ['unlabelled pod (may carry the annotation)', 'shop', {}, {}, ['annotation.inject.trellis.dev Ignore']],
    [
      'namespace labelled disabled',
      'shop',
      { 'trellis.dev/inject': 'disabled' },
      {},
      ['annotation.inject.trellis.dev Ignore'],
    ],
    ['kube-system, even labelled', 'kube-system', enabled, { 'trellis.dev/inject': 'true' }, []],
    ['trellis-system', 'trellis-system', {}, {}, []],
  ])('%s reaches %j', (_what, ns, nsLabels, podLabels, expected) => {
    expect(reached(ns, nsLabels, podLabels)).toEqual(expected);
  });

  it('sends each entry to its path on the service, with cert-manager filling the CA', () => {
    expect(mwc.metadata?.annotations).toEqual({
      'cert-manager.io/inject-ca-from': 'trellis-system/trellis-injector',
    });
    expect(mwc.webhooks?.map((w) => w.clientConfig.service)).toEqual([
      { namespace: 'trellis-system', name: 'trellis-injector', port: 443, path: '/inject/namespace' },
      { namespace: 'trellis-system', name: 'trellis-injector', port: 443, path: '/inject' },
      { namespace: 'trellis-system', name: 'trellis-injector', port: 443, path: '/inject' },
    ]);
    for (const w of mwc.webhooks ?? []) {
      expect(w).toMatchObject({
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        reinvocationPolicy: 'Never',
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      });
      expect(w.timeoutSeconds).toBeGreaterThanOrEqual(5);
    }
  });

  it('can target a URL, drop the annotation entry, and be confined to some namespaces', () => {
    const scope = { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['t-1'] };
    const m = renderWebhookConfiguration({
      name: 'x',
      target: { url: 'https://127.0.0.1:9443/' },
      annotationOptIn: false,
      namespaceScope: [scope],
    });
    expect(m.metadata).toEqual({
      name: 'x',
      labels: { 'app.kubernetes.io/part-of': 'trellis', 'app.kubernetes.io/component': 'injector' },
    });
    expect(m.webhooks?.map((w) => w.clientConfig.url)).toEqual([
      'https://127.0.0.1:9443/inject/namespace',
      'https://127.0.0.1:9443/inject',
    ]);
    for (const w of m.webhooks ?? []) expect(w.namespaceSelector?.matchExpressions).toContainEqual(scope);
  });
});
