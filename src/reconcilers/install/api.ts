import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { type MeshConfigStatus, meshConfigCrd } from '../../api/crds/index.js';
import { fieldManager } from '../../api/names.js';
import { makeKeepAliveClient, makeKeepAliveObjectApi } from '../../operator/keep-alive.js';
import type { InstallObject, InstallRef } from './object.js';
import type { InstallTarget } from './target.js';

/** A MeshConfig as the API server returns it: not parsed yet (its spec may not be one we accept). */
export type RawMeshConfig = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: KubernetesObject['metadata'] & { name: string };
  spec?: unknown;
  status?: unknown;
};

/** Another field manager owns a field we apply: reported, never overwritten. */
export class ApplyConflict extends Error {}

/**
 * Every call the install reconciler makes. It reads through the API server rather than the operator's
 * caches: the MeshConfig is a singleton and a reconcile reads five objects, so reads after its own
 * writes are never stale and a status never steps backwards. The caches only wake it up.
 */
export interface InstallApi {
  meshConfig(name: string): Promise<RawMeshConfig | undefined>;
  get<T extends KubernetesObject>(ref: InstallRef): Promise<T | undefined>;
  /** Server-side apply as `trellis-operator`, never forced; throws ApplyConflict on a conflict. */
  apply(obj: InstallObject): Promise<void>;
  /** Deletes (dependents in the background); an object already gone is fine. */
  delete(ref: InstallRef): Promise<void>;
  /** Applies the MeshConfig's metadata we own (our finalizer) and nothing else. */
  applyMeshConfigFinalizers(name: string, finalizers: string[]): Promise<void>;
  /** Applies the whole status; the status is the operator's alone, so this one is forced. */
  applyMeshConfigStatus(name: string, status: MeshConfigStatus): Promise<void>;
}

const code = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

function apiMessage(err: unknown): string {
  if (!(err instanceof ApiException)) return String(err);
  try {
    return (JSON.parse(String(err.body)) as { message?: string }).message ?? String(err.body);
  } catch {
    return String(err.body);
  }
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (err) {
    if (code(err) === 404) return undefined;
    throw err;
  }
}

/** The InstallApi of a real API server. */
export function kubeInstallApi(kc: KubeConfig, target: InstallTarget): InstallApi {
  const objects = makeKeepAliveObjectApi(kc);
  const custom = makeKeepAliveClient(kc, CustomObjectsApi);
  const [group = '', version = ''] = target.meshConfig.apiVersion.split('/');
  const mc = { group, version, plural: target.meshConfig.plural };
  const kind = meshConfigCrd.kind;
  const applyHeader = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  return {
    meshConfig: (name) =>
      orUndefined(custom.getClusterCustomObject({ ...mc, name }) as Promise<RawMeshConfig>),
    get: <T extends KubernetesObject>(ref: InstallRef) =>
      orUndefined(
        objects.read<T>({
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        }),
      ),
    async apply(obj) {
      try {
        await objects.patch(obj, undefined, undefined, fieldManager, false, PatchStrategy.ServerSideApply);
      } catch (err) {
        if (code(err) === 409) throw new ApplyConflict(apiMessage(err));
        throw err;
      }
    },
    async delete(ref) {
      try {
        await objects.delete(
          {
            apiVersion: ref.apiVersion,
            kind: ref.kind,
            metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (err) {
        if (code(err) !== 404) throw err;
      }
    },
    async applyMeshConfigFinalizers(name, finalizers) {
      // No finalizers at all rather than an empty list: the apply then releases ours and leaves the
      // items other managers own.
      const metadata = { name, ...(finalizers.length > 0 ? { finalizers } : {}) };
      const body = { apiVersion: target.meshConfig.apiVersion, kind, metadata };
      try {
        await custom.patchClusterCustomObject({ ...mc, name, body, fieldManager }, applyHeader);
      } catch (err) {
        // Gone already: its deletion finished without us, nothing left to release.
        if (code(err) !== 404) throw err;
      }
    },
    async applyMeshConfigStatus(name, status) {
      const body = { apiVersion: target.meshConfig.apiVersion, kind, metadata: { name }, status };
      await custom.patchClusterCustomObjectStatus(
        { ...mc, name, body, fieldManager, force: true },
        applyHeader,
      );
    },
  };
}
