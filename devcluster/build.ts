import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { componentsDir, userCacheDir } from './paths.js';
import { type PinnedVersions, pinnedVersions } from './versions.js';

/** What gets built, by output name: the Go package each binary comes from. */
export const binaries = {
  etcd: 'go.etcd.io/etcd/server/v3',
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
  'cert-manager-controller': './cmd/cert-manager-controller',
  'cert-manager-cainjector': './cmd/cert-manager-cainjector',
} as const;

export type BinaryName = keyof typeof binaries;

function goVersion(): string {
  try {
    return execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Go is required to build the local control plane (go 1.26 or newer on PATH)');
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.go$|^go\.(mod|sum)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * The cache folder for this exact build: pinned versions for people to read,
 * plus a hash of the Go toolchain and every file of the wrapper module, so any
 * change to what would be built lands in a new folder.
 */
export function cacheKey(versions: PinnedVersions, go: string): string {
  const hash = createHash('sha256').update(go);
  for (const file of sourceFiles(componentsDir)) {
    hash.update(relative(componentsDir, file)).update(readFileSync(file));
  }
  const digest = hash.digest('hex').slice(0, 12);
  return `k8s-${versions.kubernetes}_etcd-${versions.etcd}_cert-manager-${versions.certManager}_${digest}`;
}

function versionLdflags(v: PinnedVersions): string {
  const [major, minor] = v.kubernetes.replace(/^v/, '').split('.');
  const k8s = 'k8s.io/component-base/version';
  return [
    '-s -w',
    `-X ${k8s}.gitVersion=${v.kubernetes}`,
    `-X ${k8s}.gitMajor=${major}`,
    `-X ${k8s}.gitMinor=${minor}`,
    `-X ${k8s}.gitTreeState=clean`,
    `-X github.com/cert-manager/cert-manager/pkg/util.AppVersion=${v.certManager}`,
  ].join(' ');
}

export interface BuildResult {
  binDir: string;
  /** cert-manager's CRDs, copied from the pinned module's deploy/crds. */
  certManagerCrdDir: string;
  built: boolean;
  seconds: number;
}

/** Returns the folder holding every binary, building the ones missing from the cache first. */
export function ensureBinaries(log: (line: string) => void = console.log): BuildResult {
  const started = Date.now();
  const versions = pinnedVersions();
  const cacheRoot = join(userCacheDir(), 'trellis', 'devcluster');
  const key = cacheKey(versions, goVersion());
  const root = join(cacheRoot, key);
  const binDir = join(root, 'bin');
  const certManagerCrdDir = join(root, 'cert-manager-crds');
  const names = Object.keys(binaries) as BinaryName[];
  if (names.every((n) => existsSync(join(binDir, n))) && existsSync(certManagerCrdDir)) {
    return { binDir, certManagerCrdDir, built: false, seconds: (Date.now() - started) / 1000 };
  }

  log(`building the local control plane into ${binDir}`);
  log('  (a cold build takes about 10 minutes on 2 cores; later runs reuse the cache)');
  const staging = join(root, `bin.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' };
  const ldflags = versionLdflags(versions);
  for (const name of names) {
    const t = Date.now();
    // One binary per invocation: `go build -o dir/` would name etcd after its `v3` path suffix.
    execFileSync('go', ['build', '-ldflags', ldflags, '-o', join(staging, name), binaries[name]], {
      cwd: componentsDir,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    log(`  built ${name} in ${((Date.now() - t) / 1000).toFixed(0)}s`);
  }
  const certManagerModule = execFileSync(
    'go',
    ['list', '-m', '-f', '{{.Dir}}', 'github.com/cert-manager/cert-manager'],
    { cwd: componentsDir, env, encoding: 'utf8' },
  ).trim();
  cpSync(join(certManagerModule, 'deploy', 'crds'), join(staging, 'crds'), { recursive: true });
  rmSync(certManagerCrdDir, { recursive: true, force: true });
  renameSync(join(staging, 'crds'), certManagerCrdDir);
  rmSync(binDir, { recursive: true, force: true });
  renameSync(staging, binDir);
  // Builds of other keys are superseded (running processes keep their unlinked binaries).
  for (const old of readdirSync(cacheRoot)) {
    if (old !== key) rmSync(join(cacheRoot, old), { recursive: true, force: true });
  }
  return { binDir, certManagerCrdDir, built: true, seconds: (Date.now() - started) / 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = ensureBinaries();
  console.log(`${result.built ? 'built' : 'cached'}: ${result.binDir} (${result.seconds.toFixed(1)}s)`);
}
