import {
  ApiException,
  CoreV1Api,
  type CoreV1Event,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { crds } from '../api/crds/index.js';
import { fieldManager } from '../api/names.js';
import { makeKeepAliveClient, makeKeepAliveObjectApi } from '../operator/keep-alive.js';
import type { MeshObject } from './observed.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A mesh CR's status as server-side applied: identity plus the status we own. */
export type StatusPatch = Pick<MeshObject, 'apiVersion' | 'kind'> & {
  metadata: { name: string; namespace: string };
  status: NonNullable<MeshObject['status']>;
};

/**
 * Every write the proxy-config and identity reconcilers make. Small on purpose: unit tests count
 * calls on a fake, and the operator can wrap it (metrics, dry runs).
 */
export interface ClusterWriter {
  /** Server-side apply with field manager `trellis-operator`, forcing: the object holds only our fields. */
  apply(obj: KubernetesObject): Promise<void>;
  /** Server-side apply of the status subresource, forcing our own conditions. */
  applyStatus(patch: StatusPatch): Promise<void>;
  /** Deletes; an object already gone is fine. */
  delete(ref: ObjectRef): Promise<void>;
  /** Creates an Event; one of the same name already recorded is fine (names are content-derived). */
  recordEvent(event: CoreV1Event): Promise<void>;
}

const status = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

/** The ClusterWriter that talks to the API server. */
export function kubeWriter(kc: KubeConfig): ClusterWriter {
  // Keep-alive: every write of a reconcile reuses one connection instead of a TLS handshake each.
  const objects = makeKeepAliveObjectApi(kc);
  const custom = makeKeepAliveClient(kc, CustomObjectsApi);
  const core = makeKeepAliveClient(kc, CoreV1Api);
  const applyContentType = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  return {
    async apply(obj) {
      await objects.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    },
    async applyStatus(patch) {
      const [group, version] = patch.apiVersion.split('/');
      const plural = crds.find((d) => d.kind === patch.kind)?.plural;
      if (!group || !version || !plural) throw new Error(`no CRD for ${patch.apiVersion} ${patch.kind}`);
      await custom.patchNamespacedCustomObjectStatus(
        {
          group,
          version,
          plural,
          namespace: patch.metadata.namespace,
          name: patch.metadata.name,
          body: patch,
          fieldManager,
          force: true,
        },
        applyContentType,
      );
    },
    async delete(ref) {
      try {
        await objects.delete({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        });
      } catch (err) {
        if (status(err) !== 404) throw err;
      }
    },
    async recordEvent(event) {
      try {
        await core.createNamespacedEvent({ namespace: event.metadata.namespace ?? 'default', body: event });
      } catch (err) {
        if (status(err) !== 409) throw err;
      }
    },
  };
}
