import type {
  KubernetesObject,
  V1ConfigMap,
  V1EndpointSlice,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import { type MeshConfig, meshConfig, meshConfigName } from '../../api/crds/index.js';
import type { Certificate, MeshObject, ObservedStateReader } from '../../reconcilers/observed.js';
import type { ControllerContext } from '../controller.js';
import { type ObservedResources, observedResources } from './resources.js';

/**
 * The term's caches as the reconcilers' `ObservedStateReader`. Both controllers call this; caches are
 * shared by resource id, so the second costs no extra list or stream.
 *
 * The cached objects are the API server's JSON as is: timestamps are strings, not the Dates the
 * client-node types promise. The reconcilers read them as such (policies/order.ts takes either).
 */
export function observedCaches(
  context: Pick<ControllerContext, 'cache' | 'logger'>,
  namespace?: string,
): { resources: ObservedResources; reader: ObservedStateReader } {
  const resources = observedResources(namespace);
  const meshConfigs = context.cache<KubernetesObject>(resources.meshConfigs);
  const services = context.cache<V1Service>(resources.services);
  const endpointSlices = context.cache<V1EndpointSlice>(resources.endpointSlices);
  const pods = context.cache<V1Pod>(resources.pods);
  const meshKinds = resources.meshKinds.map((r) => context.cache<MeshObject>(r));
  const proxyConfigMaps = context.cache<V1ConfigMap>(resources.proxyConfigMaps);
  const certificates = context.cache<Certificate>(resources.identityCertificates);

  // Parsed once per stored version: a snapshot is taken on every reconcile.
  let parsed: { raw: KubernetesObject; mesh: MeshConfig | undefined } | undefined;
  const readMeshConfig = (): MeshConfig | undefined => {
    const raw = meshConfigs.get(meshConfigName);
    if (!raw) return undefined;
    if (parsed?.raw === raw) return parsed.mesh;
    const result = meshConfig.safeParse(raw);
    if (!result.success) {
      // The CRD's schema should make this impossible; treated as "not installed" rather than guessed at.
      context.logger.warn(
        { issues: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
        'MeshConfig default does not parse; the reconcilers write nothing',
      );
    }
    parsed = { raw, mesh: result.success ? result.data : undefined };
    return parsed.mesh;
  };

  return {
    resources,
    reader: {
      meshConfig: readMeshConfig,
      services: () => services.list(),
      endpointSlices: () => endpointSlices.list(),
      pods: (namespace) => pods.list({ namespace }),
      meshObjects: () => meshKinds.flatMap((c) => c.list()),
      proxyConfigMaps: () => proxyConfigMaps.list(),
      identityCertificates: (namespace) => certificates.list({ namespace }),
    },
  };
}
