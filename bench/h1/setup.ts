// Shared set-up for the bench/h1 scripts: the same nginx upstream, the nginx mTLS pair (the
// reference every figure is divided by) and a bundled Trellis pair, as bench/dataplane builds them,
// with knobs for node flags (--cpu-prof, V8 heap sizes) and for sampling RSS. Not a test.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { issueLeaf, makeCa, writeAtomicVolume } from '../../src/sidecar-image/proxy/testing/pki.js';

export const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

export const ports = {
  upstream: 18280,
  nginxIn: 18201,
  nginxPeer: 18202,
  trIn: 18221,
  trPeer: 18222,
} as const;

export interface Bench {
  dir: string;
  files: (name: string) => string;
  certs: ReturnType<typeof pki>;
  start: (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => ChildProcess;
  stop: () => void;
}

function pki(dir: string) {
  const ca = makeCa('bench-ca');
  const client = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/client', { dns: 'client', days: 2 });
  const server = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/server', { dns: 'server', days: 2 });
  const files: Record<string, string> = {
    'ca.crt': ca.cert,
    'client.crt': client.cert,
    'client.key': client.key,
    'server.crt': server.cert,
    'server.key': server.key,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { ca, client, server };
}

export function createBench(): Bench {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-h1-'));
  const children: ChildProcess[] = [];
  return {
    dir,
    files: (name) => join(dir, name),
    certs: pki(dir),
    start(cmd, args, env) {
      const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: env ?? process.env });
      children.push(child);
      return child;
    },
    stop() {
      for (const c of children) c.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitForPort(port: number, host = '127.0.0.1'): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${host}:${port}`);
}

function nginxConf(b: Bench, name: string, body: string): string {
  const file = b.files(`${name}.conf`);
  writeFileSync(
    file,
    `worker_processes 1; daemon off; pid ${b.dir}/${name}.pid; error_log ${b.dir}/${name}.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${body} }\n`,
  );
  return file;
}

/** The upstream every row shares: nginx answering "hello". */
export async function startUpstream(b: Bench): Promise<void> {
  b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'upstream',
      `server { listen 127.0.0.1:${ports.upstream}; location / { return 200 "hello"; } }`,
    ),
  ]);
  await waitForPort(ports.upstream);
}

/** The reference: two nginx with TLS 1.3 mTLS between them, exactly as bench/dataplane runs them. */
export async function startNginxPair(b: Bench): Promise<ChildProcess[]> {
  const f = b.files;
  const keep = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  const server = b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'nginx-server',
      `upstream up { server 127.0.0.1:${ports.upstream}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxPeer} ssl; ssl_protocols TLSv1.3; ssl_certificate ${f('server.crt')}; ssl_certificate_key ${f('server.key')};
  ssl_client_certificate ${f('ca.crt')}; ssl_verify_client on; location / { proxy_pass http://up; ${keep} } }`,
    ),
  ]);
  const client = b.start('nginx', [
    '-c',
    nginxConf(
      b,
      'nginx-client',
      `upstream peer { server 127.0.0.1:${ports.nginxPeer}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxIn}; location / { proxy_pass https://peer; ${keep}
  proxy_ssl_protocols TLSv1.3; proxy_ssl_certificate ${f('client.crt')}; proxy_ssl_certificate_key ${f('client.key')};
  proxy_ssl_trusted_certificate ${f('ca.crt')}; proxy_ssl_verify on; proxy_ssl_name server; proxy_ssl_session_reuse on; } }`,
    ),
  ]);
  await waitForPort(ports.nginxIn);
  return [client, server];
}

/** The proxy files this work owns: taken from the working tree, everything else from a commit. */
const owned = [
  'src/sidecar-image/proxy/metrics.ts',
  'src/sidecar-image/proxy/trace.ts',
  'src/sidecar-image/proxy/span-exporter.ts',
  'src/sidecar-image/proxy/mtls.ts',
  'src/sidecar-image/proxy/h1',
  'bench/h1',
];

/**
 * A stable source tree to bundle: `git archive` of `commit` (others edit the checkout while we
 * measure, so its working tree may not even build), plus, for `work`, this work's files as they
 * are now. Returns the tree's root; node_modules is linked from the checkout.
 */
export function snapshot(b: Bench, name: string, commit: string, work: boolean): string {
  const root = here('../..');
  const dest = b.files(`tree-${name}`);
  mkdirSync(dest);
  execFileSync('sh', [
    '-c',
    `git -C "${root}" archive "${commit}" src bench package.json tsconfig.json | tar -x -C "${dest}"`,
  ]);
  symlinkSync(join(root, 'node_modules'), join(dest, 'node_modules'));
  // bench/h1 may not be committed yet at `commit`; the harness itself always comes from the checkout.
  const take = work ? owned : ['bench/h1'];
  for (const rel of take) {
    if (!existsSync(join(root, rel))) continue;
    rmSync(join(dest, rel), { recursive: true, force: true });
    cpSync(join(root, rel), join(dest, rel), { recursive: true });
  }
  return dest;
}

/** esbuild bundles `entry` into one ESM file, as the image runs compiled JS. */
export function bundle(b: Bench, entry: string, name: string): string {
  const out = b.files(`${name}.mjs`);
  execFileSync(join(here('../../node_modules/.bin'), 'esbuild'), [
    entry,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    `--outfile=${out}`,
    '--log-level=warning',
    "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  ]);
  return out;
}

/**
 * The Trellis pair: client sidecar (outbound on 127.0.0.1:trIn, the original destination pinned
 * to a ClusterIP) → mTLS → server sidecar (inbound on 127.0.0.2:trPeer) → upstream. `flags` go
 * to both node processes; the proxy's code comes from `tree` (see snapshot), bundled or run by tsx.
 */
export async function startTrellisPair(
  b: Bench,
  flags: string[],
  tag = 'trellis',
  tree: { root: string; bundled: boolean },
): Promise<ChildProcess[]> {
  const source = join(tree.root, 'bench/h1/trellis-node.ts');
  const entry = tree.bundled ? bundle(b, source, `trellis-node-${tag}`) : source;
  const vol = (name: string, files: Record<string, string>) => {
    const d = b.files(`${tag}-${name}`);
    mkdirSync(d);
    writeAtomicVolume(d, files);
    return d;
  };
  const clusterIp = '10.96.0.1';
  const config = vol('config', {
    'config.json': JSON.stringify({
      schemaVersion: 1,
      namespace: 'bench',
      trustDomain: 'cluster.local',
      services: [
        {
          name: 'upstream',
          namespace: 'bench',
          clusterIps: [clusterIp],
          ports: [{ name: 'http', port: 80 }],
          endpoints: [
            {
              ip: '127.0.0.2',
              ports: { http: ports.trPeer },
              ready: true,
              workload: 'server',
              identity: 'spiffe://cluster.local/ns/bench/sa/server',
            },
          ],
        },
      ],
    }),
  });
  const { certs } = b;
  const idc = vol('id-client', {
    'tls.crt': certs.client.cert,
    'tls.key': certs.client.key,
    'ca.crt': certs.ca.cert,
  });
  const ids = vol('id-server', {
    'tls.crt': certs.server.cert,
    'tls.key': certs.server.key,
    'ca.crt': certs.ca.cert,
  });
  const node = (args: string[]) => b.start(process.execPath, [...flags, entry, ...args]);
  const server = node([
    '127.0.0.2',
    '18223',
    String(ports.trPeer),
    '18224',
    '127.0.0.1',
    String(ports.upstream),
    config,
    ids,
  ]);
  const client = node(['127.0.0.1', String(ports.trIn), '18225', '18226', clusterIp, '80', config, idc]);
  await waitForPort(ports.trPeer, '127.0.0.2');
  await waitForPort(ports.trIn);
  return [client, server];
}

/** wrk, one thread, 16 connections (the issue's saturation setting): requests per second. */
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
