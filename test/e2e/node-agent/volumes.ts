import type { V1KeyToPath, V1Pod, V1Volume } from '@kubernetes/client-node';
import { type ObjectData, podField, resourceField } from './env.js';

/** A file of a projected volume: its path inside the volume and its bytes. */
export interface VolumeFile {
  path: string;
  content: Buffer;
  mode?: number;
}

/** What a volume becomes on disk: files written atomically (`..data` swap), or a plain directory. */
export type VolumeContent = { kind: 'files'; files: VolumeFile[] } | { kind: 'emptyDir' };

/** Asks the API for a bound service-account token (TokenRequest). */
export type TokenSource = (audience: string | undefined, expirationSeconds: number) => Promise<string>;

export class MissingObjectError extends Error {}

const file = (path: string, content: string | Buffer, mode?: number): VolumeFile => ({
  path,
  content: typeof content === 'string' ? Buffer.from(content) : content,
  ...(mode === undefined ? {} : { mode }),
});

/** ConfigMap/Secret keys as files: all keys, or only `items` (a listed key that is missing is an error unless optional). */
function keyFiles(
  data: Record<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  what: string,
  optional: boolean,
  defaultMode: number | undefined,
): VolumeFile[] {
  if (!items?.length) return Object.entries(data).map(([key, value]) => file(key, value, defaultMode));
  return items.flatMap((item) => {
    const value = data[item.key];
    if (value === undefined) {
      if (optional) return [];
      throw new MissingObjectError(`${what} has no key "${item.key}"`);
    }
    return [file(item.path, value, item.mode ?? defaultMode)];
  });
}

const utf8 = (data: Record<string, string>) =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));

/**
 * The files of one volume, as the kubelet projects them. A required
 * ConfigMap or Secret that does not exist throws MissingObjectError: the
 * kubelet keeps the pod in ContainerCreating until it appears.
 */
export async function projectVolume(
  pod: V1Pod,
  volume: V1Volume,
  data: ObjectData,
  token: TokenSource,
): Promise<VolumeContent> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const source = (kind: 'configMap' | 'secret', name: string, optional: boolean) => {
    const found = data[kind](namespace, name);
    if (!found && !optional) throw new MissingObjectError(`${kind} "${name}" not found`);
    return found ? utf8(found) : {};
  };
  const downward = (items: NonNullable<V1Volume['downwardAPI']>['items'], mode?: number) =>
    (items ?? []).map((item) => {
      if (item.fieldRef) return file(item.path, podField(pod, item.fieldRef), item.mode ?? mode);
      const ref = item.resourceFieldRef;
      const container = pod.spec?.containers.find((c) => c.name === ref?.containerName);
      if (!ref || !container) throw new Error(`downwardAPI ${item.path}: unsupported item`);
      return file(item.path, resourceField(container, ref), item.mode ?? mode);
    });

  if (volume.emptyDir) return { kind: 'emptyDir' };
  if (volume.configMap) {
    const { name = '', items, optional = false, defaultMode } = volume.configMap;
    const files = keyFiles(
      source('configMap', name, optional),
      items,
      `configMap "${name}"`,
      optional,
      defaultMode,
    );
    return { kind: 'files', files };
  }
  if (volume.secret) {
    const { secretName = '', items, optional = false, defaultMode } = volume.secret;
    const files = keyFiles(
      source('secret', secretName, optional),
      items,
      `secret "${secretName}"`,
      optional,
      defaultMode,
    );
    return { kind: 'files', files };
  }
  if (volume.downwardAPI) {
    return { kind: 'files', files: downward(volume.downwardAPI.items, volume.downwardAPI.defaultMode) };
  }
  if (volume.projected) {
    const mode = volume.projected.defaultMode;
    const files: VolumeFile[] = [];
    for (const part of volume.projected.sources ?? []) {
      if (part.configMap) {
        const { name = '', items, optional = false } = part.configMap;
        files.push(
          ...keyFiles(source('configMap', name, optional), items, `configMap "${name}"`, optional, mode),
        );
      } else if (part.secret) {
        const { name = '', items, optional = false } = part.secret;
        files.push(...keyFiles(source('secret', name, optional), items, `secret "${name}"`, optional, mode));
      } else if (part.downwardAPI) {
        files.push(...downward(part.downwardAPI.items, mode));
      } else if (part.serviceAccountToken) {
        const { audience, expirationSeconds = 3607, path } = part.serviceAccountToken;
        files.push(file(path, await token(audience, expirationSeconds), mode));
      }
    }
    return { kind: 'files', files };
  }
  throw new Error(
    `volume ${volume.name}: unsupported source (emptyDir, configMap, secret, downwardAPI, projected)`,
  );
}
