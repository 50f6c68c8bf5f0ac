import type { MeshConfigSpec } from '../../api/crds/index.js';
import { renderWebhookConfiguration } from '../../webhook/mwc.js';
import { type InstallObject, type MeshOwner, ownerReferences } from './object.js';
import { type InstallTarget, injectorComponent, installLabels, installNames } from './target.js';

/**
 * The MutatingWebhookConfiguration (src/webhook/mwc.ts) pointing at the injector's Service. cainjector
 * fills every caBundle from the serving Certificate (`cert-manager.io/inject-ca-from`); we never set
 * it, so its field manager and ours own different fields. The entries that fail closed take
 * spec.injector.failurePolicy; the annotation opt-in entry always fails open (it sees every pod of
 * every unlabelled namespace). spec.injectionNamespaceExclusions become a namespaceSelector term.
 */
export function desiredWebhook(spec: MeshConfigSpec, target: InstallTarget, owner: MeshOwner): InstallObject {
  const names = installNames(target);
  const exclusions = [...spec.injectionNamespaceExclusions].sort();
  const mwc = renderWebhookConfiguration({
    name: names.webhook,
    target: { service: { namespace: target.namespace, name: names.injector, port: 443 } },
    caFromCertificate: `${target.namespace}/${names.injector}`,
    namespaceScope: [
      ...(exclusions.length > 0
        ? [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: exclusions }]
        : []),
      ...(target.namespaceScope ?? []),
    ],
  });
  const webhooks = (mwc.webhooks ?? []).map((w) =>
    w.failurePolicy === 'Fail' ? { ...w, failurePolicy: spec.injector.failurePolicy } : w,
  );
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      ...mwc.metadata,
      name: names.webhook,
      labels: { ...mwc.metadata?.labels, ...installLabels(target, injectorComponent) },
      ownerReferences: ownerReferences(owner),
    },
    webhooks,
  };
}
