import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBinaries } from './build.js';
import { apiserver, type Component, controllers, etcd } from './components.js';
import { apiserverUrl, clusterConfig } from './config.js';
import { kubeconfigFor } from './kubeconfig.js';
import { repoRoot, stateDir, statePaths } from './paths.js';
import { ensurePki } from './pki.js';
import {
  isAlive,
  processesMentioning,
  type RecordedProcess,
  startDetached,
  stopAll,
  tail,
} from './processes.js';
import { pinnedVersions } from './versions.js';

export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  binDir: string;
  /** True when `up` found a healthy cluster and left it as it was. */
  reused: boolean;
}

type Log = (line: string) => void;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorded(): RecordedProcess[] {
  if (!existsSync(statePaths.processes)) return [];
  return JSON.parse(readFileSync(statePaths.processes, 'utf8')) as RecordedProcess[];
}

/** True when every recorded process runs and every component says it is ready. */
export async function isHealthy(): Promise<boolean> {
  const procs = recorded();
  const all = [etcd, apiserver, ...controllers];
  if (procs.length !== all.length || !procs.every((p) => isAlive(p.pid))) return false;
  const ready = await Promise.all(all.map((c) => c.ready()));
  return ready.every(Boolean);
}

/** A component that did not start; the message names it and its log. */
export class StartError extends Error {}

/**
 * Starts a component from `binDir`, calls `started` with its process record,
 * and waits until it is ready; or fails naming the component and its log.
 */
export async function startComponent(
  component: Component,
  opts: { binDir: string; logDir: string; started: (p: RecordedProcess) => void },
): Promise<void> {
  const log = join(opts.logDir, `${component.name}.log`);
  const child = startDetached(component.name, join(opts.binDir, component.binary), component.args, log);
  let exit: string | undefined;
  child.on('exit', (code, sig) => {
    exit = sig ? `was killed by ${sig}` : `exited with code ${code}`;
  });
  child.on('error', (err) => {
    exit = `could not be run (${err.message})`;
  });
  if (child.pid !== undefined) opts.started({ name: component.name, pid: child.pid, log });

  const deadline = Date.now() + component.startTimeoutMs;
  while (!(await component.ready())) {
    if (exit || Date.now() > deadline) {
      const why = exit ?? `was not ready after ${component.startTimeoutMs / 1000}s`;
      throw new StartError(`${component.name} ${why}. Its log is ${log}; the last lines:\n${tail(log)}`);
    }
    await sleep(250);
  }
}

function kubectl(binDir: string, args: string[]): string {
  return execFileSync(join(binDir, 'kubectl'), ['--kubeconfig', statePaths.adminKubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** cert-manager's CRDs, its namespace and RBAC, and Trellis's own CRDs once they exist. */
function bootstrap(binDir: string, certManagerCrdDir: string): void {
  const ourCrds = join(repoRoot, 'config', 'crd');
  const files = [
    certManagerCrdDir,
    join(repoRoot, 'devcluster', 'bootstrap.yaml'),
    ...(existsSync(ourCrds) && readdirSync(ourCrds).some((f) => f.endsWith('.yaml')) ? [ourCrds] : []),
  ];
  kubectl(binDir, [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=trellis-devcluster',
    ...files.flatMap((f) => ['-f', f]),
  ]);
  kubectl(binDir, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
}

function writeKubeconfigs(): void {
  mkdirSync(statePaths.kubeconfigs, { recursive: true });
  const make = (cert: string) =>
    kubeconfigFor({ pkiDir: statePaths.pki, cert, server: apiserverUrl, cluster: clusterConfig.name });
  for (const cert of ['controller-manager', 'scheduler', 'cert-manager']) {
    writeFileSync(join(statePaths.kubeconfigs, `${cert}.yaml`), make(cert), { mode: 0o600 });
  }
  writeFileSync(statePaths.adminKubeconfig, make('admin'), { mode: 0o600 });
}

/** Takes the lock that keeps two `up`s from starting two clusters over one state folder. */
function lock(): () => void {
  mkdirSync(stateDir, { recursive: true });
  if (existsSync(statePaths.lock)) {
    const holder = Number(readFileSync(statePaths.lock, 'utf8'));
    if (isAlive(holder)) throw new StartError(`another cluster:up (pid ${holder}) is starting this cluster`);
  }
  writeFileSync(statePaths.lock, String(process.pid));
  return () => rmSync(statePaths.lock, { force: true });
}

/** Brings the local control plane up, or reuses it when it is already healthy. */
export async function up(log: Log = console.log): Promise<ClusterInfo> {
  const started = Date.now();
  const { binDir, certManagerCrdDir } = ensureBinaries(log);
  const info = { kubeconfig: statePaths.adminKubeconfig, server: apiserverUrl, binDir };
  if (await isHealthy()) return { ...info, reused: true };

  const unlock = lock();
  try {
    await stopAll(processesMentioning(stateDir));
    for (const dir of [statePaths.logs, statePaths.etcdData])
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    ensurePki(statePaths.pki, {
      apiserverIps: [clusterConfig.podGateway],
      kubernetesServiceIp: clusterConfig.kubernetesServiceIp,
    });
    writeKubeconfigs();

    const procs: RecordedProcess[] = [];
    const start = (component: Component) =>
      startComponent(component, {
        binDir,
        logDir: statePaths.logs,
        started: (p) => {
          procs.push(p);
          writeFileSync(statePaths.processes, JSON.stringify(procs, null, 2));
        },
      });
    try {
      await start(etcd);
      await start(apiserver);
      bootstrap(binDir, certManagerCrdDir);
      for (const c of controllers) await start(c);
    } catch (err) {
      await stopAll(procs.map((p) => p.pid));
      rmSync(statePaths.processes, { force: true });
      throw err;
    }
    const v = pinnedVersions();
    log(
      `cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s: Kubernetes ${v.kubernetes}, etcd ${v.etcd}, cert-manager ${v.certManager}`,
    );
    return { ...info, reused: false };
  } finally {
    unlock();
  }
}

/** Stops every process of the cluster, recorded or not; keeps its state (PKI, etcd data) for the next `up`. */
export async function down(log: Log = console.log): Promise<void> {
  const pids = new Set([...recorded().map((p) => p.pid), ...processesMentioning(stateDir)]);
  await stopAll([...pids].filter(isAlive));
  rmSync(statePaths.processes, { force: true });
  log(pids.size > 0 ? `stopped ${pids.size} cluster processes` : 'no cluster processes were running');
}
