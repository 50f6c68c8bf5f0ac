import type {
  AdmissionregistrationV1WebhookClientConfig,
  V1LabelSelectorRequirement,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { annotations, namespaceInjectLabel } from '../api/names.js';
import { systemNamespaces } from './decision.js';
import { webhookPaths } from './server.js';

export interface WebhookConfigOptions {
  /** Default `trellis-injector`. */
  name?: string;
  /** Where the API server reaches the injector; the path of each entry is added to it. */
  target: { service: { namespace: string; name: string; port?: number } } | { url: string };
  /** `<namespace>/<Certificate>` whose CA cert-manager's cainjector writes into every caBundle. */
  caFromCertificate?: string;
  /**
   * The entry for pods that opt in by annotation only (default true). It sees
   * every pod of every unlabelled namespace, so it fails open; clusters that
   * opt pods in by label or namespace can turn it off.
   */
  annotationOptIn?: boolean;
  /** Extra namespace requirements ANDed into every entry (e.g. to confine the mesh to some namespaces). */
  namespaceScope?: V1LabelSelectorRequirement[];
}

const notSystem: V1LabelSelectorRequirement = {
  key: 'kubernetes.io/metadata.name',
  operator: 'NotIn',
  values: systemNamespaces,
};

/**
 * The MutatingWebhookConfiguration the operator installs. Three entries
 * partition the pods the API server may send (docs/injection.md):
 * labelled namespace (fail closed), pod label (fail closed), pod annotation
 * (fail open). No pod matches two entries, and pods that cannot be meshed
 * (system namespaces, `trellis.dev/inject=false` labels) match none.
 */
export function renderWebhookConfiguration(opts: WebhookConfigOptions): V1MutatingWebhookConfiguration {
  const client = (path: string): AdmissionregistrationV1WebhookClientConfig =>
    'url' in opts.target
      ? { url: `${opts.target.url.replace(/\/$/, '')}${path}` }
      : { service: { ...opts.target.service, port: opts.target.service.port ?? 443, path } };
  const ns = (op: 'In' | 'NotIn') => ({
    matchExpressions: [
      { key: namespaceInjectLabel.key, operator: op, values: [namespaceInjectLabel.enabled] },
      notSystem,
      ...(opts.namespaceScope ?? []),
    ],
  });
  const entry = (
    name: string,
    path: string,
    failurePolicy: 'Fail' | 'Ignore',
    timeoutSeconds: number,
    namespaceSelector: V1MutatingWebhook['namespaceSelector'],
    objectSelector: V1LabelSelectorRequirement,
  ): V1MutatingWebhook => ({
    name,
    admissionReviewVersions: ['v1'],
    clientConfig: client(path),
    rules: [
      {
        operations: ['CREATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ],
    failurePolicy,
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    // Injection is idempotent, so a later webhook's change never needs us again.
    reinvocationPolicy: 'Never',
    timeoutSeconds,
    namespaceSelector,
    objectSelector: { matchExpressions: [objectSelector] },
  });
  const key = annotations.inject;
  const webhooks = [
    entry('namespace.inject.trellis.dev', webhookPaths.injectNamespace, 'Fail', 10, ns('In'), {
      key,
      operator: 'NotIn',
      values: ['false'],
    }),
    entry('label.inject.trellis.dev', webhookPaths.inject, 'Fail', 10, ns('NotIn'), {
      key,
      operator: 'In',
      values: ['true'],
    }),
  ];
  if (opts.annotationOptIn ?? true) {
    webhooks.push(
      entry('annotation.inject.trellis.dev', webhookPaths.inject, 'Ignore', 5, ns('NotIn'), {
        key,
        operator: 'DoesNotExist',
      }),
    );
  }
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: opts.name ?? 'trellis-injector',
      labels: { 'app.kubernetes.io/part-of': 'trellis', 'app.kubernetes.io/component': 'injector' },
      ...(opts.caFromCertificate
        ? { annotations: { 'cert-manager.io/inject-ca-from': opts.caFromCertificate } }
        : {}),
    },
    webhooks,
  };
}
