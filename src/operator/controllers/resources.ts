import { crds } from '../../api/crds/index.js';
import { apiVersion, proxyConfigMap } from '../../api/names.js';
import { identityComponent } from '../../reconcilers/identity.js';
import { componentLabel, managedBy } from '../../reconcilers/labels.js';
import { proxyConfigComponent } from '../../reconcilers/objects.js';
import type { Resource } from '../resource.js';

const selector = (component: string) => `${managedBy.key}=${managedBy.value},${componentLabel}=${component}`;

/**
 * The collections the proxy-config and identity reconcilers read. `namespace` scopes every namespaced
 * one to that namespace (a test, or an install that meshes one namespace); absent, the whole cluster.
 * The scope is part of each id, so two scopes never share a cache by mistake.
 */
export function observedResources(namespace?: string) {
  const scope = namespace ? { namespace } : {};
  const id = (name: string) => (namespace ? `${name}@${namespace}` : name);
  const meshKinds = crds
    .filter((d) => d.scope === 'Namespaced')
    .map((d): Resource => ({ id: id(d.plural), apiVersion, plural: d.plural, ...scope }));
  return {
    meshConfigs: { id: 'meshconfigs', apiVersion, plural: 'meshconfigs' } satisfies Resource,
    services: { id: id('services'), apiVersion: 'v1', plural: 'services', ...scope } satisfies Resource,
    endpointSlices: {
      id: id('endpointslices'),
      apiVersion: 'discovery.k8s.io/v1',
      plural: 'endpointslices',
      ...scope,
    } satisfies Resource,
    pods: { id: id('pods'), apiVersion: 'v1', plural: 'pods', ...scope } satisfies Resource,
    meshKinds,
    // Ours only, by label and name: the cache then holds one small ConfigMap per meshed namespace.
    proxyConfigMaps: {
      id: id('proxy-configmaps'),
      apiVersion: 'v1',
      plural: 'configmaps',
      labelSelector: selector(proxyConfigComponent),
      fieldSelector: `metadata.name=${proxyConfigMap.name}`,
      ...scope,
    } satisfies Resource,
    identityCertificates: {
      id: id('identity-certificates'),
      apiVersion: 'cert-manager.io/v1',
      plural: 'certificates',
      labelSelector: selector(identityComponent),
      ...scope,
    } satisfies Resource,
  };
}

export type ObservedResources = ReturnType<typeof observedResources>;
