import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { IssuerRef } from '../../reconcilers/identity.js';
import { IdentityReconciler } from '../../reconcilers/identity-reconciler.js';
import { identityKeys } from '../../reconcilers/keys.js';
import { type ClusterWriter, kubeWriter } from '../../reconcilers/writer.js';
import { type Controller, watch } from '../controller.js';
import { observedCaches } from './observed-caches.js';

export interface IdentityControllerOptions {
  /** Watch one namespace only (see observedResources); the whole cluster when absent. */
  namespace?: string;
  /** Who signs workload certificates; the mesh CA ClusterIssuer (meshIssuerRef) when absent. */
  issuerRef?: IssuerRef;
  /** The API server's writer when absent; unit tests record instead. */
  writer?: (kc: KubeConfig) => ClusterWriter;
}

/**
 * Keeps one identity Certificate per meshed ServiceAccount. A Pod or Certificate change concerns its
 * own namespace; a MeshConfig change every namespace with meshed pods or identities (keys.ts). No
 * debouncing: the queue de-duplicates a namespace's keys, and an unchanged reconcile writes nothing.
 * ServiceAccounts are not watched: whether one needs an identity is decided by its pods alone.
 */
export function identityController(options: IdentityControllerOptions = {}): Controller {
  return {
    setup(context) {
      const { resources, reader } = observedCaches(context, options.namespace);
      const keys = (obj: KubernetesObject) =>
        identityKeys(
          { pods: reader.pods(), identityCertificates: reader.identityCertificates() },
          obj.metadata?.namespace,
        ).map((name) => ({ name }));
      return {
        reconciler: new IdentityReconciler(
          reader,
          (options.writer ?? kubeWriter)(context.kc),
          options.issuerRef,
        ),
        watches: [resources.pods, resources.identityCertificates, resources.meshConfigs].map((r) =>
          watch(r, keys),
        ),
      };
    },
  };
}
