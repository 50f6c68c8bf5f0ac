import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import type { MeshConfig } from '../../api/crds/index.js';
import { makeKeepAliveClient } from '../../operator/keep-alive.js';
import type { DataPlaneObserved } from './data-plane.js';

/** Page size for the lists, and a cap on pages (100,000 objects of a kind) so a list always ends. */
const pageSize = 500;
const maxPages = 200;

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

async function listAll<T>(
  list: (page: { limit: number; _continue?: string }) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await list({ limit: pageSize, ...(next ? { _continue: next } : {}) });
    items.push(...page.items);
    next = page.metadata?._continue;
    if (!next) return items;
  }
  throw new Error(`more than ${pageSize * maxPages} objects in one list; refusing to plan on part of them`);
}

/**
 * Lists what planDataPlane reads, from the API server rather than a cache: the plan runs right after
 * its own last write, and a cache that has not seen that write yet would plan the same restart twice.
 * `namespace` confines it to one namespace (tests share a cluster; a namespaced operator).
 */
export async function observeDataPlane(
  kc: KubeConfig,
  mesh: MeshConfig,
  installedVersion: string,
  now: Date,
  namespace?: string,
): Promise<DataPlaneObserved> {
  const core = makeKeepAliveClient(kc, CoreV1Api);
  const apps = makeKeepAliveClient(kc, AppsV1Api);
  const ns = namespace;
  const [pods, namespaces, replicaSets, deployments, statefulSets, daemonSets] = await Promise.all([
    listAll((p) => (ns ? core.listNamespacedPod({ ...p, namespace: ns }) : core.listPodForAllNamespaces(p))),
    ns
      ? core.readNamespace({ name: ns }).then((n): V1Namespace[] => [n])
      : listAll((p) => core.listNamespace(p)),
    listAll((p) =>
      ns ? apps.listNamespacedReplicaSet({ ...p, namespace: ns }) : apps.listReplicaSetForAllNamespaces(p),
    ),
    listAll((p) =>
      ns ? apps.listNamespacedDeployment({ ...p, namespace: ns }) : apps.listDeploymentForAllNamespaces(p),
    ),
    listAll((p) =>
      ns ? apps.listNamespacedStatefulSet({ ...p, namespace: ns }) : apps.listStatefulSetForAllNamespaces(p),
    ),
    listAll((p) =>
      ns ? apps.listNamespacedDaemonSet({ ...p, namespace: ns }) : apps.listDaemonSetForAllNamespaces(p),
    ),
  ]);
  return {
    mesh,
    installedVersion,
    pods,
    namespaces,
    replicaSets,
    deployments,
    statefulSets,
    daemonSets,
    now,
  };
}
