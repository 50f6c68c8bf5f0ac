/**
 * Where each workload kind keeps the pod it creates: the path of the pod
 * template (metadata + spec) inside the object, or `[]` for a Pod itself.
 */
const templatePaths: Record<string, readonly string[]> = {
  'v1/Pod': [],
  'apps/v1/Deployment': ['spec', 'template'],
  'apps/v1/StatefulSet': ['spec', 'template'],
  'apps/v1/DaemonSet': ['spec', 'template'],
  'apps/v1/ReplicaSet': ['spec', 'template'],
  'batch/v1/Job': ['spec', 'template'],
  'batch/v1/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface Manifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
}

/** The pod template's path, or undefined for kinds that hold no pod (Services, ConfigMaps...). */
export function podTemplatePath(obj: Manifest): readonly string[] | undefined {
  return templatePaths[`${String(obj.apiVersion)}/${String(obj.kind)}`];
}

export function getIn(obj: unknown, path: readonly (string | number)[]): unknown {
  let at = obj;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/** `deployment.apps/web` as kubectl names it. */
export function describe(obj: Manifest): string {
  const group = String(obj.apiVersion).includes('/') ? `.${String(obj.apiVersion).split('/')[0]}` : '';
  return `${String(obj.kind).toLowerCase()}${group}/${String(obj.metadata?.name ?? '(unnamed)')}`;
}
