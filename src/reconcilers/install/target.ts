import type { V1LabelSelectorRequirement } from '@kubernetes/client-node';
import { apiVersion, controlPlaneNamespace } from '../../api/names.js';
import { meshIssuerRef } from '../identity.js';
import { componentLabel, managedBy } from '../labels.js';

/**
 * Where one install goes. The operator has exactly one (`defaultInstallTarget`); integration tests
 * run several side by side on the shared cluster, each in its own namespace, with a suffix on every
 * cluster-scoped name and the webhook confined to namespaces of their own.
 */
export interface InstallTarget {
  /** The control-plane namespace: injector Deployment, Service, ConfigMap, serving Certificate. */
  namespace: string;
  /**
   * cert-manager's `--cluster-resource-namespace`: a ClusterIssuer reads its CA Secret from there, so
   * the mesh CA Certificate (and the bootstrap Issuer that signs it) live there too.
   */
  clusterResourceNamespace: string;
  /** Appended to every cluster-scoped name and every name in the shared cert-manager namespace. */
  suffix: string;
  /** Value of the `trellis.dev/install` label on everything this install made. */
  instance: string;
  /** The MeshConfig resource acted on (tests install a copy of the CRD under a group of their own). */
  meshConfig: { apiVersion: string; plural: string };
  /** Extra namespace requirements for every webhook entry (tests confine the webhook to their namespaces). */
  namespaceScope?: V1LabelSelectorRequirement[];
}

export const defaultInstallTarget: InstallTarget = {
  namespace: controlPlaneNamespace,
  clusterResourceNamespace: 'cert-manager',
  suffix: '',
  instance: 'mesh',
  meshConfig: { apiVersion, plural: 'meshconfigs' },
};

/** Every name the install uses. The mesh CA ClusterIssuer is the one identity.ts signs workloads with. */
export function installNames(target: InstallTarget) {
  const s = target.suffix;
  return {
    injector: 'trellis-injector',
    injectorSettings: 'trellis-injector-settings',
    injectorTls: 'trellis-injector-tls',
    injectorClusterRole: `trellis-injector${s}`,
    webhook: `trellis-injector${s}`,
    selfSignedIssuer: `trellis-mesh-selfsigned${s}`,
    caCertificate: `trellis-mesh-ca${s}`,
    caSecret: `trellis-mesh-ca${s}`,
    clusterIssuer: `${meshIssuerRef.name}${s}`,
  };
}
export type InstallNames = ReturnType<typeof installNames>;

/** Selects what one install made: the operator's caches watch by it, uninstall deletes by name. */
export const installLabel = 'trellis.dev/install';

export const injectorComponent = 'injector';
export const meshCaComponent = 'mesh-ca';

export function installLabels(target: InstallTarget, component: string): Record<string, string> {
  return {
    [managedBy.key]: managedBy.value,
    'app.kubernetes.io/part-of': 'trellis',
    [componentLabel]: component,
    [installLabel]: target.instance,
  };
}

/** `trellis.dev/install=<instance>`: the label selector of every cache of installed objects. */
export const installSelector = (target: InstallTarget) => `${installLabel}=${target.instance}`;
