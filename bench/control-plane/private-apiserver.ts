import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { apiserver } from '../../devcluster/components.js';
import { kubeconfigFor } from '../../devcluster/kubeconfig.js';
import { statePaths } from '../../devcluster/paths.js';
import { probe } from '../../devcluster/probe.js';

/**
 * Private control-plane processes built from the dev cluster's binaries and PKI: a kube-apiserver on a
 * port of its own (over the shared etcd, or over a private etcd), so a test can stop and start "the API
 * server" an operator talks to without touching the one every other test uses, and a benchmark can
 * run a cluster-wide operator over objects nobody else sees.
 */

/** A port the kernel just handed out; free unless someone takes it in the meantime. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Started {
  pid: number;
  /** SIGTERM (or `signal`), then SIGKILL after 10 s; resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `binary` with its output appended to `log`, and waits until `ready` says so (bounded). */
async function start(
  binary: string,
  args: string[],
  log: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<Started> {
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    }),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (exited) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (exited || Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`${binary} ${exited ?? `not ready after ${timeoutMs / 1000}s`}; see ${log}`);
    }
    await sleep(250);
  }
  if (child.pid === undefined) throw new Error(`${binary} has no pid`);
  return { pid: child.pid, stop };
}

/** An etcd of its own in `dataDir`, on free ports. */
export async function startEtcd(binDir: string, dataDir: string): Promise<Started & { url: string }> {
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const args = [
    '--name=private',
    `--data-dir=${join(dataDir, 'etcd')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=private=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
  const ready = async () => (await probe(`${url}/health`)).body.includes('"health":"true"');
  const started = await start(join(binDir, 'etcd'), args, join(dataDir, 'etcd.log'), ready, 30_000);
  return { ...started, url };
}

/**
 * A kube-apiserver with the dev cluster's flags and certificates (its serving certificate names
 * 127.0.0.1), but on `port` and over `etcdUrl`. Starting it again with the same port is a restart.
 */
export function startApiserver(
  binDir: string,
  opts: { etcdUrl: string; port: number; log: string },
): Promise<Started> {
  const args = [
    ...apiserver.args.map((arg) => {
      if (arg.startsWith('--etcd-servers=')) return `--etcd-servers=${opts.etcdUrl}`;
      if (arg.startsWith('--secure-port=')) return `--secure-port=${opts.port}`;
      return arg;
    }),
    // The identity Lease in kube-system is named after the host, so it is the shared API server's too,
    // and a starting API server deletes "its" old one: without this, every start would delete the
    // shared server's Lease until that server wrote it again. The peer proxy needs identities, so it goes too.
    '--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false',
  ];
  const ready = async () => {
    const r = await probe(`https://127.0.0.1:${opts.port}/readyz`, { pkiDir: statePaths.pki });
    return r.status === 200;
  };
  return start(join(binDir, 'kube-apiserver'), args, opts.log, ready, apiserver.startTimeoutMs);
}

/** An admin kubeconfig for a private API server, written to `path` and loaded. */
export function privateKubeConfig(port: number, path: string): KubeConfig {
  const text = kubeconfigFor({
    pkiDir: statePaths.pki,
    cert: 'admin',
    server: `https://127.0.0.1:${port}`,
    cluster: 'trellis-private',
  });
  writeFileSync(path, text, { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return kc;
}
