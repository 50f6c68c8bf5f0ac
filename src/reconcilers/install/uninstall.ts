import type { InstallRef } from './object.js';
import { type InstallTarget, installNames } from './target.js';

/** The finalizer that holds a deleted MeshConfig until its install is removed. */
export const uninstallFinalizer = 'trellis.dev/uninstall';

/**
 * Everything an install may have made, in deletion order. The MutatingWebhookConfiguration goes first:
 * with it gone the API server stops calling the injector, so pod creation is never blocked by an
 * injector that is being removed. The CA goes last, after what it signed. The Secrets cert-manager
 * wrote go too (it leaves them behind). Names come from the target alone, so an install whose spec
 * has since become invalid is still removed whole.
 */
export function uninstallOrder(target: InstallTarget): InstallRef[] {
  const n = installNames(target);
  const ns = target.namespace;
  const cmNs = target.clusterResourceNamespace;
  const cm = 'cert-manager.io/v1';
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: n.webhook },
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: n.injector },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: ns, name: n.injector },
    { apiVersion: 'v1', kind: 'Service', namespace: ns, name: n.injector },
    { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: n.injectorSettings },
    { apiVersion: rbac, kind: 'ClusterRoleBinding', name: n.injectorClusterRole },
    { apiVersion: rbac, kind: 'ClusterRole', name: n.injectorClusterRole },
    { apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: n.injector },
    { apiVersion: cm, kind: 'Certificate', namespace: ns, name: n.injector },
    { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: n.injectorTls },
    { apiVersion: cm, kind: 'ClusterIssuer', name: n.clusterIssuer },
    { apiVersion: cm, kind: 'Certificate', namespace: cmNs, name: n.caCertificate },
    { apiVersion: 'v1', kind: 'Secret', namespace: cmNs, name: n.caSecret },
    { apiVersion: cm, kind: 'Issuer', namespace: cmNs, name: n.selfSignedIssuer },
  ];
}
