import { dirname, join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Launch } from './container.js';
import { type ObjectData, resolveEnv } from './env.js';
import { repoRoot, resolveImage } from './images.js';
import { type Mount, mountPrologue, quote, type Resolve } from './mounts.js';
import { serviceLinkEnv } from './service-links.js';

export interface LaunchInput {
  pod: V1Pod;
  container: V1Container;
  /** 0 for the first run, then one more per restart: names the log file and the overlay scratch. */
  restart: number;
  podIP: string;
  hostIP: string;
  /** What the container sees as the `kubernetes` Service. */
  apiService: { host: string; port: number };
  data: ObjectData;
  /** Holds `volumes/<name>` and `overlays/`. */
  podDir: string;
  /** The container's log directory. */
  logDir: string;
  resolve: Resolve;
  isFile: (path: string) => boolean;
}

/** The variables a kubelet gives every container: the API server's Service, the hostname, a PATH with node on it. */
export function baseEnv(pod: V1Pod, uid: number | undefined, api: { host: string; port: number }) {
  const { host, port } = api;
  return {
    PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOSTNAME: pod.metadata?.name ?? '',
    HOME: uid === undefined || uid === 0 ? '/root' : '/',
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: String(port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(port),
    KUBERNETES_PORT: `tcp://${host}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP`]: `tcp://${host}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: String(port),
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
  };
}

/**
 * How one run of a container starts: the image's argv, the user (container,
 * then pod securityContext, then the image's USER; root when none says),
 * the environment, and the root prologue that mounts its volumes at their
 * paths. Throws, as the kubelet's CreateContainerConfigError, when a
 * reference cannot be resolved.
 */
export function buildLaunch(input: LaunchInput): Launch {
  const { pod, container, restart } = input;
  const image = resolveImage(container.image ?? '', container.command, container.args);
  if (!image) throw new Error(`image ${container.image} is not in the table`);
  const podSecurity = pod.spec?.securityContext;
  const uid = container.securityContext?.runAsUser ?? podSecurity?.runAsUser ?? image.user?.uid;
  const gid =
    container.securityContext?.runAsGroup ??
    podSecurity?.runAsGroup ??
    (uid === undefined ? undefined : (image.user?.gid ?? 0));
  const withIP: V1Pod = { ...pod, status: { ...pod.status, podIP: input.podIP, hostIP: input.hostIP } };
  // Service links come before the container's own env (which may override them); the API server's always win.
  const links =
    pod.spec?.enableServiceLinks === false
      ? {}
      : serviceLinkEnv(input.data.services?.(pod.metadata?.namespace ?? 'default') ?? []);
  const base = { ...links, ...baseEnv(pod, uid, input.apiService) };
  const env = resolveEnv(withIP, container, base, input.data);

  const mounts: Mount[] = (container.volumeMounts ?? []).map((m) => {
    const volumeDir = join(input.podDir, 'volumes', m.name);
    const real = input.resolve(m.subPath ? join(volumeDir, m.subPath) : volumeDir);
    if (!real) throw new Error(`volumeMount ${m.name}: ${m.subPath ?? 'the volume'} does not exist`);
    return { source: real, target: m.mountPath, readOnly: m.readOnly ?? false, file: input.isFile(real) };
  });
  const scratch = join(input.podDir, 'overlays', `${container.name}-${restart}`);
  const prologue = [
    mountPrologue(mounts, input.resolve, scratch, join(input.logDir, `${restart}.log`)),
    // The images' WORKDIR is the checkout.
    `cd ${quote(container.workingDir ?? repoRoot)}`,
  ].join('\n');
  return {
    argv: image.argv,
    env,
    prologue,
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
  };
}
