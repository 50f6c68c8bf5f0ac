import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { meshConfigName } from '../../api/crds/index.js';
import { apiVersion } from '../../api/names.js';
import { type InstallApi, kubeInstallApi } from '../../reconcilers/install/api.js';
import {
  type DataPlaneStep,
  InstallReconciler,
  type InstallReconcilerOptions,
} from '../../reconcilers/install/reconciler.js';
import {
  defaultInstallTarget,
  type InstallTarget,
  installSelector,
} from '../../reconcilers/install/target.js';
import { DataPlaneReconciler } from '../../reconcilers/upgrade/reconcile.js';
import { type Controller, watch } from '../controller.js';
import type { Resource } from '../resource.js';
import { DataPlaneMetrics } from '../upgrade-metrics.js';

export interface InstallControllerOptions extends Omit<InstallReconcilerOptions, 'logger' | 'dataPlane'> {
  /** Where the install goes; the operator's own (trellis-system, cert-manager) when absent. */
  target?: InstallTarget;
  /** The API server's when absent; unit tests pass a fake. */
  api?: (kc: KubeConfig, target: InstallTarget) => InstallApi;
  /**
   * The data-plane upgrade step, made once per operator process (it remembers the drift events it
   * recorded); the whole cluster's DataPlaneReconciler when absent.
   */
  dataPlane?: (kc: KubeConfig, logger: Logger, registry?: Registry) => DataPlaneStep;
}

const clusterDataPlane = (kc: KubeConfig, logger: Logger, registry?: Registry): DataPlaneStep => {
  const metrics = registry ? { metrics: new DataPlaneMetrics(registry) } : {};
  const reconciler = new DataPlaneReconciler({ kc, logger, ...metrics });
  return (mesh, installedVersion) => reconciler.reconcile(mesh, installedVersion);
};

/**
 * The MeshConfig and everything the install made, watched so that a change to any of them (a spec
 * edit, a certificate issued, a caBundle injected, a Deployment becoming available, an object deleted
 * or edited by hand) reconciles the one key there is. The installed objects are watched by their
 * `trellis.dev/install` label only: the caches hold nothing else.
 */
export function installResources(target: InstallTarget): Resource[] {
  const labelSelector = installSelector(target);
  const own = (apiVersion: string, plural: string, namespace?: string): Resource => ({
    id: `install-${plural}@${target.instance}${namespace ? `/${namespace}` : ''}`,
    apiVersion,
    plural,
    labelSelector,
    ...(namespace ? { namespace } : {}),
  });
  const ns = target.namespace;
  const meshConfigs: Resource =
    target.meshConfig.apiVersion === apiVersion && target.meshConfig.plural === 'meshconfigs'
      ? // The same collection the proxy-config and identity controllers watch: one shared cache.
        { id: 'meshconfigs', apiVersion, plural: 'meshconfigs' }
      : { id: `meshconfigs@${target.meshConfig.apiVersion}`, ...target.meshConfig };
  return [
    meshConfigs,
    own('apps/v1', 'deployments', ns),
    own('v1', 'services', ns),
    own('v1', 'serviceaccounts', ns),
    own('v1', 'configmaps', ns),
    own('policy/v1', 'poddisruptionbudgets', ns),
    own('cert-manager.io/v1', 'certificates', ns),
    own('cert-manager.io/v1', 'certificates', target.clusterResourceNamespace),
    own('cert-manager.io/v1', 'issuers', target.clusterResourceNamespace),
    own('cert-manager.io/v1', 'clusterissuers'),
    own('admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations'),
    own('rbac.authorization.k8s.io/v1', 'clusterroles'),
    own('rbac.authorization.k8s.io/v1', 'clusterrolebindings'),
  ];
}

/** The install/upgrade controller: one key, the MeshConfig `default`. */
export function installController(options: InstallControllerOptions = {}): Controller {
  const target = options.target ?? defaultInstallTarget;
  let dataPlane: DataPlaneStep | undefined;
  return {
    // One key: a second worker would only ever wait.
    workers: 1,
    setup(context) {
      const key = [{ name: meshConfigName }];
      const logger = context.logger.child({ controller: 'install' });
      // Its gauges go on the operator's registry, once: the first term's context makes it.
      dataPlane ??= (options.dataPlane ?? clusterDataPlane)(context.kc, logger, context.registry);
      return {
        reconciler: new InstallReconciler((options.api ?? kubeInstallApi)(context.kc, target), target, {
          ...options,
          dataPlane,
          logger,
        }),
        watches: installResources(target).map((r) => watch(r, () => key)),
      };
    },
  };
}
