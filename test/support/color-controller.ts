import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { loadConfig, type OperatorConfig } from '../../src/operator/config.js';
import { type Controller, ownKey, watch } from '../../src/operator/controller.js';
import { eventually, type Kube } from './kube.js';

/**
 * The trivial controller the operator-runtime tests run: copies each ConfigMap's color label into
 * an annotation. Runtime behaviour (leases, watches, restarts), not the controller, is under test.
 */

export const colorLabel = 'trellis.test/color';
export const colorAnnotation = 'trellis.test/copied-color';

/**
 * How the annotation is written: `patch`, a merge patch (no read, no conflict); `replace`, a read
 * then a replace, so that a stale read fails with 409 and the queue retries with backoff.
 */
export type ColorWrite = 'patch' | 'replace';

export function colorController(ns: string, write: ColorWrite): Controller {
  const resource = { id: 'configmaps', apiVersion: 'v1', plural: 'configmaps', namespace: ns };
  return {
    setup: ({ kc, cache }) => {
      const core = kc.makeApiClient(CoreV1Api);
      const configMaps = cache<V1ConfigMap>(resource);
      return {
        watches: [watch<V1ConfigMap>(resource, ownKey)],
        reconciler: {
          name: 'color-copier',
          async reconcile(key) {
            const cached = configMaps.get(key.name, key.namespace);
            const color = cached?.metadata?.labels?.[colorLabel];
            if (!cached || color === undefined || cached.metadata?.annotations?.[colorAnnotation] === color)
              return undefined;
            if (write === 'patch') {
              await core.patchNamespacedConfigMap({
                name: key.name,
                namespace: ns,
                body: [{ op: 'add', path: '/metadata/annotations', value: { [colorAnnotation]: color } }],
              });
              return undefined;
            }
            const current = await core.readNamespacedConfigMap({ name: key.name, namespace: ns });
            current.metadata = {
              ...current.metadata,
              annotations: { ...current.metadata?.annotations, [colorAnnotation]: color },
            };
            await core.replaceNamespacedConfigMap({ name: key.name, namespace: ns, body: current });
            return undefined;
          },
        },
      };
    },
  };
}

/** Operator settings with short leases, retries and restarts, so a test sees them happen in seconds. */
export function quickOperatorConfig(podName: string, ns: string): OperatorConfig {
  return loadConfig({
    POD_NAME: podName,
    POD_NAMESPACE: ns,
    TRELLIS_OPERATOR_HOST: '127.0.0.1',
    TRELLIS_OPERATOR_PORT: '0',
    TRELLIS_OPERATOR_LEASE_DURATION_MS: '4000',
    TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '3000',
    TRELLIS_OPERATOR_RETRY_PERIOD_MS: '500',
    TRELLIS_OPERATOR_RETRY_BASE_MS: '50',
    TRELLIS_OPERATOR_RETRY_CAP_MS: '2000',
    TRELLIS_OPERATOR_WATCH_RESTART_BASE_MS: '200',
    TRELLIS_OPERATOR_WATCH_RESTART_CAP_MS: '2000',
    TRELLIS_OPERATOR_LIST_TIMEOUT_MS: '5000',
    TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '2000',
  });
}

/** Through the shared API server: labelling ConfigMaps, reading the copied annotation, waiting for it. */
export function colorChecks(kube: Kube, ns: string) {
  const annotationOf = async (name: string) =>
    (await kube.core.readNamespacedConfigMap({ name, namespace: ns })).metadata?.annotations?.[
      colorAnnotation
    ];
  const copied = (name: string, color: string, timeoutMs?: number) =>
    eventually(
      `${name} annotated ${color}`,
      async () => ((await annotationOf(name)) === color ? true : undefined),
      timeoutMs,
    );
  const create = (name: string, color: string) =>
    kube.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name, labels: { [colorLabel]: color } } },
    });
  const relabel = (name: string, color: string) =>
    kube.core.patchNamespacedConfigMap({
      name,
      namespace: ns,
      body: [{ op: 'replace', path: '/metadata/labels/trellis.test~1color', value: color }],
    });
  return { annotationOf, copied, create, relabel };
}
