// Set-up for the bench/h1 scripts: the nginx upstream, the nginx mTLS pair and the bundled
// Trellis pair of bench/shared/pair.ts on this folder's ports, with knobs for node flags
// (--cpu-prof, V8 heap sizes), source snapshots and sampling RSS and CPU. Not a test.
import { type ChildProcess, execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as shared from '../shared/pair.js';

export { type Bench, bundle, waitForPort } from '../shared/pair.js';

export const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

export const ports = {
  upstream: 18280,
  nginxIn: 18201,
  nginxPeer: 18202,
  trIn: 18221,
  trPeer: 18222,
} as const;

export const createBench = () => shared.createBench('trellis-h1-');

/**
 * What every h1 script measures against: the nginx upstream answering "hello", and the reference,
 * two nginx with TLS 1.3 mTLS between them, exactly as bench/dataplane runs them. Returns the
 * nginx pair's [client, server].
 */
export async function startReference(b: shared.Bench): Promise<ChildProcess[]> {
  await shared.startUpstream(b, ports);
  const pair = shared.startNginxPair(b, ports);
  await shared.waitForPort(ports.nginxIn);
  return pair;
}

/** The proxy files this work owns: taken from the working tree, everything else from a commit. */
const owned = [
  'src/sidecar-image/proxy/metrics.ts',
  'src/sidecar-image/proxy/trace.ts',
  'src/sidecar-image/proxy/span-exporter.ts',
  'src/sidecar-image/proxy/mtls.ts',
  'src/sidecar-image/proxy/h1',
  'bench/h1',
  'bench/shared',
];

/**
 * A stable source tree to bundle: `git archive` of `commit` (others edit the checkout while we
 * measure, so its working tree may not even build), plus, for `work`, this work's files as they
 * are now. Returns the tree's root; node_modules is linked from the checkout.
 */
export function snapshot(b: shared.Bench, name: string, commit: string, work: boolean): string {
  const root = here('../..');
  const dest = b.files(`tree-${name}`);
  mkdirSync(dest);
  execFileSync('sh', [
    '-c',
    `git -C "${root}" archive "${commit}" src bench package.json tsconfig.json | tar -x -C "${dest}"`,
  ]);
  symlinkSync(join(root, 'node_modules'), join(dest, 'node_modules'));
  // bench/h1 and bench/shared may not be committed yet at `commit`; the harness itself always
  // comes from the checkout.
  const take = work ? owned : ['bench/h1', 'bench/shared'];
  for (const rel of take) {
    if (!existsSync(join(root, rel))) continue;
    rmSync(join(dest, rel), { recursive: true, force: true });
    cpSync(join(root, rel), join(dest, rel), { recursive: true });
  }
  return dest;
}

/**
 * The Trellis pair: client sidecar (outbound on 127.0.0.1:trIn, the original destination pinned
 * to a ClusterIP) → mTLS → server sidecar (inbound on 127.0.0.2:trPeer) → upstream. `flags` go
 * to both node processes; the proxy's code comes from `tree` (see snapshot), bundled or run by tsx.
 */
export async function startTrellisPair(
  b: shared.Bench,
  flags: string[],
  tag = 'trellis',
  tree: { root: string; bundled: boolean },
): Promise<ChildProcess[]> {
  const source = join(tree.root, 'bench/shared/trellis-node.ts');
  const entry = tree.bundled ? shared.bundle(b, source, `trellis-node-${tag}`) : source;
  const vols = shared.trellisVolumes(b, ports, tag);
  const pair = shared.startTrellisNodes(b, entry, flags, {
    upstream: ports.upstream,
    inPort: ports.trIn,
    peerPort: ports.trPeer,
    dst: { ip: shared.clusterIp, port: 80 },
    config: vols.config,
    serverId: vols.server,
    clientId: vols.client,
  });
  await shared.waitForPort(ports.trPeer, '127.0.0.2');
  await shared.waitForPort(ports.trIn);
  return pair;
}

/** wrk, one thread, 16 connections (the saturation setting): requests per second. */
export async function wrk(url: string, seconds: number): Promise<number> {
  return (await wrkRun(url, seconds)).rps;
}

/**
 * wrk as above, also charging the CPU time `procs` (and their children: nginx workers) used
 * during the run to each request: CPU µs per request is far steadier than requests per second
 * on a machine others are loading, since it does not count the time spent waiting for a core.
 */
export async function wrkRun(
  url: string,
  seconds: number,
  procs: (number | undefined)[] = [],
): Promise<{ rps: number; requests: number; cpuUsPerRequest: number }> {
  const before = cpuMs(procs);
  const { stdout } = await promisify(execFile)('wrk', ['-t1', '-c16', `-d${seconds}s`, url], {
    encoding: 'utf8',
    timeout: (seconds + 10) * 1000,
  });
  const used = cpuMs(procs) - before;
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0),
    requests,
    cpuUsPerRequest: requests > 0 ? Math.round((used * 1000) / requests) : 0,
  };
}

/** User+system CPU ms of processes and their children, from /proc (clock ticks of 10 ms). */
export function cpuMs(pids: (number | undefined)[]): number {
  let ticks = 0;
  for (const pid of pids) {
    if (!pid) continue;
    let kids = '';
    try {
      kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
    } catch {} // pgrep exits 1 when there are none
    for (const p of [pid, ...kids.split('\n').filter(Boolean).map(Number)]) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {} // exited meanwhile
    }
  }
  return ticks * 10;
}

/** Current and peak RSS of one process, in MB (from /proc, so it includes everything V8 and OpenSSL hold). */
export function rssMb(pid: number | undefined): { rss: number; hwm: number } {
  if (!pid) return { rss: 0, hwm: 0 };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 102.4) / 10, hwm: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/** Waits for a child to exit (bounded), so profiles written at exit are complete. */
export function exited(child: ChildProcess, ms = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const cleanDir = (d: string) => {
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
};
