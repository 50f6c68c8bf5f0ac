import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { proxyGid, proxyUid } from '../../src/api/names.js';
import type { Leaf } from '../../src/sidecar-image/proxy/testing/pki.js';
import { writeAtomicVolume } from '../../src/sidecar-image/proxy/testing/pki.js';
import { createPodNetwork, type Pod, type PodNetwork, type PodProcess } from '../support/netns.js';
import { runInit, tsx } from './pods.js';

/** What the meshed-pod tests share: pods with trellis-init's rules, volumes, trellis-proxy per pod. */

const proxyMain = fileURLToPath(new URL('../../src/sidecar-image/proxy/main.ts', import.meta.url));

/** Mounted-volume directories written as the kubelet writes them; remove() deletes them all. */
export function volumes(prefix: string) {
  const dirs: string[] = [];
  return {
    volume(files: Record<string, string>): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      // The proxy runs as UID 1337 and must read what the test (root) wrote.
      chmodSync(dir, 0o755);
      dirs.push(dir);
      writeAtomicVolume(dir, files);
      return dir;
    },
    remove() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A pod network with `pods` in it; trellis-init runs (and must succeed) in the `meshed` ones. */
export async function meshNetwork(
  net: { name: string; subnet: string },
  pods: string[],
  meshed: string[],
): Promise<{ network: PodNetwork; pods: Pod[] }> {
  const network = await createPodNetwork(net);
  const added: Pod[] = [];
  for (const name of pods) added.push(await network.addPod(name));
  for (const pod of added.filter((p) => meshed.includes(p.name))) {
    const init = await runInit(pod, {});
    expect(init, init.stdout + init.stderr).toMatchObject({ code: 0 });
  }
  return { network, pods: added };
}

export interface MeshProxy {
  sa: string;
  configDir: string;
  identityDir: string;
  extraEnv?: Record<string, string>;
}

/** trellis-proxy in `pod` as UID 1337, started as the injected container is; resolves once it listens. */
export async function startMeshProxy(pod: Pod, p: MeshProxy): Promise<PodProcess> {
  const env = {
    TRELLIS_POD_NAME: pod.name,
    TRELLIS_POD_NAMESPACE: 'shop',
    TRELLIS_POD_IP: pod.ip,
    TRELLIS_SERVICE_ACCOUNT: p.sa,
    TRELLIS_CONFIG_DIR: p.configDir,
    TRELLIS_IDENTITY_DIR: p.identityDir,
    ...p.extraEnv,
  };
  const argv = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...tsx(proxyMain)];
  const proc = pod.spawn(argv, { uid: proxyUid, gid: proxyGid });
  await proc.waitForLine(/"msg":"proxy listening"/, 30_000);
  return proc;
}

/** The identity volume of a leaf, as cert-manager's CSI driver mounts it. */
export const identityFiles = (leaf: Leaf) => ({
  'tls.crt': leaf.cert,
  'tls.key': leaf.key,
  'ca.crt': leaf.ca,
});
