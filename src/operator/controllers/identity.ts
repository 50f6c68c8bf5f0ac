import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { type DebounceOptions, Debouncer, identityDebounce } from '../../reconcilers/debounce.js';
import type { IssuerRef } from '../../reconcilers/identity.js';
import { IdentityReconciler } from '../../reconcilers/identity-reconciler.js';
import { identityKeys } from '../../reconcilers/keys.js';
import { type ClusterWriter, kubeWriter } from '../../reconcilers/writer.js';
import { type Controller, watch } from '../controller.js';
import { observedCaches } from './observed-caches.js';

/** The debouncer's key for "every namespace with meshed pods or identities"; no namespace is named ''. */
const everyNamespace = '';

export interface IdentityControllerOptions {
  /** Watch one namespace only (see observedResources); the whole cluster when absent. */
  namespace?: string;
  /** Who signs workload certificates; the mesh CA ClusterIssuer (meshIssuerRef) when absent. */
  issuerRef?: IssuerRef;
  debounce?: DebounceOptions;
  /** The API server's writer when absent; unit tests record instead. */
  writer?: (kc: KubeConfig) => ClusterWriter;
}

/**
 * Keeps one identity Certificate per meshed ServiceAccount. A Pod or Certificate change concerns its
 * own namespace; a MeshConfig change every namespace with meshed pods or identities (keys.ts), which
 * are found when the debouncer fires: one pass over the pods per burst. Debounced per namespace like
 * the proxy-config controller, so pods created by the hundred cost a reconcile or two per namespace,
 * not one per pod event. ServiceAccounts are not watched: whether one needs an identity is decided by
 * its pods alone.
 */
export function identityController(options: IdentityControllerOptions = {}): Controller {
  return {
    setup(context) {
      const { resources, reader } = observedCaches(context, options.namespace);
      const fire = (key: string) => {
        const names =
          key === everyNamespace
            ? identityKeys(
                { pods: reader.pods(), identityCertificates: reader.identityCertificates() },
                undefined,
              )
            : [key];
        for (const name of names) context.enqueue({ name });
      };
      const debouncer = new Debouncer(fire, options.debounce ?? identityDebounce);
      context.signal.addEventListener('abort', () => debouncer.cancel(), { once: true });
      const changed = (obj: KubernetesObject) => {
        debouncer.notify(obj.metadata?.namespace ?? everyNamespace);
        return [];
      };
      return {
        reconciler: new IdentityReconciler(
          reader,
          (options.writer ?? kubeWriter)(context.kc),
          options.issuerRef,
        ),
        watches: [resources.pods, resources.identityCertificates, resources.meshConfigs].map((r) =>
          watch(r, changed),
        ),
      };
    },
  };
}
