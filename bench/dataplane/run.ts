// npm run bench:dataplane — the same wrk client and nginx upstream through (a) nothing, (b) an
// nginx pair with mTLS, (c) an HAProxy pair with mTLS, (d) a Trellis proxy pair (client sidecar →
// server sidecar, mTLS, metrics on), (e) the same Trellis pair with the realistic policy set of
// bench/policy/fixture.ts in force (20-rule route table, retries, outlier detection, a rate limit
// that never triggers, a 10-rule ALLOW policy the client matches on its last rule), all on loopback. A benchmark, not a test: it asserts nothing
// and reports what it measured in bench/results/dataplane.json. Needs nginx, haproxy and wrk.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCommands } from '../../devcluster/packages.js';
import { issueLeaf, makeCa, writeAtomicVolume } from '../../src/sidecar-image/proxy/testing/pki.js';
import { benchService, realisticConfig } from '../policy/fixture.js';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
const children: ChildProcess[] = [];
const ports = {
  upstream: 18080,
  nginxIn: 18101,
  nginxPeer: 18102,
  haIn: 18111,
  haPeer: 18112,
  trIn: 18121,
  trPeer: 18122,
  polIn: 18131,
  polPeer: 18132,
};

interface Latency {
  p50_ms: number;
  p99_ms: number;
  p999_ms: number;
  /** The generator's own lateness (p99) sending requests: large means the row is not valid. */
  lag_p99_ms: number;
  /** Requests without a 200 (or unanswered when the run's time ran out). */
  errors: number;
}

interface Row extends Latency {
  name: 'direct' | 'nginx-pair' | 'haproxy-pair' | 'trellis-pair' | 'trellis-pair-policies';
  rps: number;
  rss_mb: number;
  /** Latency at half the nginx pair's maximum rate. */
  half_nginx?: Latency & { rate: number };
  /** The policies row against the bare Trellis pair: throughput ratio, p99 difference at 1k/s. */
  vs_trellis_pair?: { rps_ratio: number; p99_ms_delta: number };
}

function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitForPort(port: number, host = '127.0.0.1'): Promise<void> {
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

/** Peak RSS (VmHWM) of a process and its children, in MB. */
function peakRssMb(pid: number | undefined): number {
  if (!pid) return 0;
  // pgrep exits 1 when there are no children.
  let children = '';
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {}
  const pids = [pid, ...children.split('\n').filter(Boolean).map(Number)];
  let kb = 0;
  for (const p of pids) {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    kb += Number(m?.[1] ?? 0);
  }
  return Math.round(kb / 102.4) / 10;
}

function wrk(url: string): number {
  execFileSync('wrk', ['-t1', '-c16', '-d1s', url], { encoding: 'utf8' }); // warm-up
  const out = execFileSync('wrk', ['-t1', '-c16', `-d${seconds}s`, url], { encoding: 'utf8' });
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
}

/**
 * Latency at a fixed rate from the raw-socket open-loop generator (bench/h1/open-loop-raw.ts): the
 * http.request one saturated near 12k req/s and reported its own backlog as seconds of latency.
 * `lag_p99_ms` is how late the generator itself sent its requests: a row whose lag is a sizeable
 * part of its p99 measured the machine, not the target.
 */
function openLoop(url: string, rate: number) {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', here('../h1/open-loop-raw.ts'), url, String(Math.round(rate)), String(seconds)],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Latency & { errors: number };
  return {
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    p999_ms: r.p999_ms,
    lag_p99_ms: r.lag_p99_ms,
    errors: r.errors,
  };
}

function pki() {
  const ca = makeCa('bench-ca');
  const client = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/client', { dns: 'client', days: 2 });
  const server = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/server', { dns: 'server', days: 2 });
  // The policy set's ALLOW policy names client-0 … client-9: this caller matches its last rule.
  const policyClient = issueLeaf(ca, 'spiffe://cluster.local/ns/bench/sa/client-9', { days: 2 });
  const files: Record<string, string> = {
    'ca.crt': ca.cert,
    'client.crt': client.cert,
    'client.key': client.key,
    'server.crt': server.cert,
    'server.key': server.key,
    'client.pem': client.cert + client.key,
    'server.pem': server.cert + server.key,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { ca, client, server, policyClient };
}

const nginxConf = (name: string, body: string) => {
  const file = join(dir, `${name}.conf`);
  writeFileSync(
    file,
    `worker_processes 1; daemon off; pid ${dir}/${name}.pid; error_log ${dir}/${name}.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${body} }\n`,
  );
  return file;
};

async function main() {
  const certs = pki();
  const f = (n: string) => join(dir, n);
  start('nginx', [
    '-c',
    nginxConf(
      'upstream',
      `server { listen 127.0.0.1:${ports.upstream}; location / { return 200 "hello"; } }`,
    ),
  ]);
  await waitForPort(ports.upstream);
  const rows: Row[] = [];

  const targets: { name: Row['name']; port: number; procs: ChildProcess[] }[] = [
    { name: 'direct', port: ports.upstream, procs: [] },
  ];

  const keep = 'proxy_http_version 1.1; proxy_set_header Connection "";';
  const nginxServer = start('nginx', [
    '-c',
    nginxConf(
      'nginx-server',
      `upstream up { server 127.0.0.1:${ports.upstream}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxPeer} ssl; ssl_protocols TLSv1.3; ssl_certificate ${f('server.crt')}; ssl_certificate_key ${f('server.key')};
  ssl_client_certificate ${f('ca.crt')}; ssl_verify_client on; location / { proxy_pass http://up; ${keep} } }`,
    ),
  ]);
  const nginxClient = start('nginx', [
    '-c',
    nginxConf(
      'nginx-client',
      `upstream peer { server 127.0.0.1:${ports.nginxPeer}; keepalive 64; }
server { listen 127.0.0.1:${ports.nginxIn}; location / { proxy_pass https://peer; ${keep}
  proxy_ssl_protocols TLSv1.3; proxy_ssl_certificate ${f('client.crt')}; proxy_ssl_certificate_key ${f('client.key')};
  proxy_ssl_trusted_certificate ${f('ca.crt')}; proxy_ssl_verify on; proxy_ssl_name server; proxy_ssl_session_reuse on; } }`,
    ),
  ]);
  targets.push({ name: 'nginx-pair', port: ports.nginxIn, procs: [nginxClient, nginxServer] });

  const haConf = (name: string, body: string) => {
    const file = join(dir, `${name}.cfg`);
    writeFileSync(
      file,
      `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\n${body}\n`,
    );
    return file;
  };
  const haServer = start('haproxy', [
    '-db',
    '-f',
    haConf(
      'ha-server',
      `frontend f\n  bind 127.0.0.1:${ports.haPeer} ssl crt ${f('server.pem')} ca-file ${f('ca.crt')} verify required ssl-min-ver TLSv1.3\n  default_backend b\nbackend b\n  server s 127.0.0.1:${ports.upstream}`,
    ),
  ]);
  const haClient = start('haproxy', [
    '-db',
    '-f',
    haConf(
      'ha-client',
      `frontend f\n  bind 127.0.0.1:${ports.haIn}\n  default_backend b\nbackend b\n  server s 127.0.0.1:${ports.haPeer} ssl crt ${f('client.pem')} ca-file ${f('ca.crt')} verify required verifyhost server ssl-min-ver TLSv1.3`,
    ),
  ]);
  targets.push({ name: 'haproxy-pair', port: ports.haIn, procs: [haClient, haServer] });

  // The Trellis pair runs bundled (as the image would run compiled JS), metrics on.
  const bundle = join(dir, 'trellis-node.mjs');
  execFileSync(join(here('../../node_modules/.bin'), 'esbuild'), [
    here('./trellis-node.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    `--outfile=${bundle}`,
    '--log-level=warning',
    "--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  ]);
  const vol = (name: string, files: Record<string, string>) => {
    const d = join(dir, name);
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
  const node = (args: string[]) =>
    start(process.execPath, [
      ...(process.env.TRELLIS_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      bundle,
      ...args,
    ]);
  const trServer = node([
    '127.0.0.2',
    '18123',
    String(ports.trPeer),
    '18124',
    '127.0.0.1',
    String(ports.upstream),
    config,
    ids,
  ]);
  const trClient = node(['127.0.0.1', String(ports.trIn), '18125', '18126', clusterIp, '80', config, idc]);
  targets.push({ name: 'trellis-pair', port: ports.trIn, procs: [trClient, trServer] });

  // The same pair with the policies: the fixture's service, its v1 and v2 subsets both served by
  // the server proxy (two endpoint entries, one per version label), so the 90/10 split runs too.
  const policyConfig = realisticConfig();
  const [svc] = policyConfig.services;
  if (!svc) throw new Error('the fixture has no service');
  svc.endpoints = ['v1', 'v2'].map((version) => ({
    ip: '127.0.0.2',
    ports: { http: ports.polPeer },
    ready: true,
    workload: 'server',
    labels: { app: 'echo', version },
    identity: 'spiffe://cluster.local/ns/bench/sa/server',
  }));
  const polConfig = vol('config-policies', { 'config.json': JSON.stringify(policyConfig) });
  const idp = vol('id-policy-client', {
    'tls.crt': certs.policyClient.cert,
    'tls.key': certs.policyClient.key,
    'ca.crt': certs.ca.cert,
  });
  const polServer = node([
    '127.0.0.2',
    '18133',
    String(ports.polPeer),
    '18134',
    '127.0.0.1',
    String(ports.upstream),
    polConfig,
    ids,
  ]);
  const polClient = node([
    '127.0.0.1',
    String(ports.polIn),
    '18135',
    '18136',
    benchService.clusterIp,
    String(benchService.port),
    polConfig,
    idp,
  ]);
  targets.push({ name: 'trellis-pair-policies', port: ports.polIn, procs: [polClient, polServer] });
  await waitForPort(ports.trPeer, '127.0.0.2');
  await waitForPort(ports.polPeer, '127.0.0.2');
  for (const t of targets) await waitForPort(t.port);
  // The policies must let the benchmark's requests through, or the row would measure 403s.
  const probe = await fetch(`http://127.0.0.1:${ports.polIn}/`);
  await probe.text();
  if (probe.status !== 200 || probe.headers.get('x-served-by') !== 'trellis') {
    throw new Error(
      `policies pair answered ${probe.status} ${probe.headers.get('x-trellis-response-flags')}`,
    );
  }

  // Everything is up and idle; each row is measured alone.
  const nginxMax = wrk(`http://127.0.0.1:${ports.nginxIn}/`);
  const halfRate = Math.round(nginxMax / 2);
  for (const t of targets) {
    const url = `http://127.0.0.1:${t.port}/`;
    const rps = t.name === 'nginx-pair' ? nginxMax : wrk(url);
    const lat = openLoop(url, 1000);
    const half = openLoop(url, halfRate);
    const rss = Math.max(0, ...t.procs.map((p) => peakRssMb(p.pid)));
    rows.push({ name: t.name, rps, ...lat, rss_mb: rss, half_nginx: { rate: halfRate, ...half } });
  }
  const bare = rows.find((r) => r.name === 'trellis-pair');
  const withPolicies = rows.find((r) => r.name === 'trellis-pair-policies');
  if (bare && withPolicies) {
    withPolicies.vs_trellis_pair = {
      rps_ratio: Number((withPolicies.rps / bare.rps).toFixed(3)),
      p99_ms_delta: Number((withPolicies.p99_ms - bare.p99_ms).toFixed(3)),
    };
  }
  console.table(
    rows.map((r) => ({
      name: r.name,
      rps: r.rps,
      'vs nginx': Number((r.rps / nginxMax).toFixed(2)),
      'vs trellis': bare ? Number((r.rps / bare.rps).toFixed(2)) : undefined,
      'p50 ms @1k': r.p50_ms,
      'p99 ms @1k': r.p99_ms,
      'p99.9 ms @1k': r.p999_ms,
      'lag p99 @1k': r.lag_p99_ms,
      [`p99 ms @${halfRate}`]: r.half_nginx?.p99_ms,
      [`lag p99 @${halfRate}`]: r.half_nginx?.lag_p99_ms,
      'rss MB': r.rss_mb,
    })),
  );
  mkdirSync(here('../results'), { recursive: true });
  writeFileSync(here('../results/dataplane.json'), `${JSON.stringify({ rows, seconds }, null, 2)}\n`);
}

// The references and the load generator, from Debian's packages (installed when missing).
ensureCommands({ nginx: 'nginx', haproxy: 'haproxy', wrk: 'wrk' });
try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
