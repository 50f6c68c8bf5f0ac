import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this checkout. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The wrapper Go module that pins and builds the control plane's binaries. */
export const componentsDir = join(repoRoot, 'devcluster', 'components');

/** Everything a running local cluster writes: git-ignored, removed by nothing but the user. */
export const stateDir = process.env.TRELLIS_CLUSTER_DIR ?? join(repoRoot, '.cluster');

export const statePaths = {
  pki: join(stateDir, 'pki'),
  etcdData: join(stateDir, 'etcd'),
  logs: join(stateDir, 'logs'),
  kubeconfigs: join(stateDir, 'kubeconfigs'),
  /** The admin kubeconfig users and tests point KUBECONFIG at. */
  adminKubeconfig: join(stateDir, 'kubeconfig'),
  /** The processes of the running cluster, written by `up`, read by `down`. */
  processes: join(stateDir, 'processes.json'),
  lock: join(stateDir, 'up.lock'),
};

/** The user's cache directory, where built binaries live between runs and clones. */
export function userCacheDir(): string {
  return process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
}
