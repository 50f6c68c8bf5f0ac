// npm run bench:dataplane — the same wrk client and nginx upstream through (a) nothing, (b) an
// nginx pair with mTLS, (c) an HAProxy pair with mTLS, (d) a Trellis proxy pair (client sidecar →
// server sidecar, mTLS, metrics on), (e) the same Trellis pair with the realistic policy set of
// bench/policy/fixture.ts in force (20-rule route table, retries, outlier detection, a rate limit
// that never triggers, a 10-rule ALLOW policy the client matches on its last rule), all on loopback. A benchmark, not a test: it asserts nothing
// and reports what it measured in bench/results/dataplane.json. Needs nginx, haproxy and wrk.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureCommands } from '../../devcluster/packages.js';
import { proxyNodeFlags } from '../../src/sidecar-image/proxy/node-flags.js';
import { issueLeaf } from '../../src/sidecar-image/proxy/testing/pki.js';
import { benchService, realisticConfig } from '../policy/fixture.js';
import {
  bundle,
  clusterIp,
  createBench,
  startNginxPair,
  startTrellisNodes,
  startUpstream,
  trellisVolumes,
  volume,
  waitForPort,
} from '../shared/pair.js';

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const b = createBench('trellis-bench-');
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

async function main() {
  const f = b.files;
  // The policy set's ALLOW policy names client-0 … client-9: this caller matches its last rule.
  const policyClient = issueLeaf(b.certs.ca, 'spiffe://cluster.local/ns/bench/sa/client-9', { days: 2 });
  await startUpstream(b, ports);
  const rows: Row[] = [];

  const targets: { name: Row['name']; port: number; procs: ChildProcess[] }[] = [
    { name: 'direct', port: ports.upstream, procs: [] },
    { name: 'nginx-pair', port: ports.nginxIn, procs: startNginxPair(b, ports) },
  ];

  const haConf = (name: string, body: string) => {
    const file = f(`${name}.cfg`);
    writeFileSync(
      file,
      `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\n${body}\n`,
    );
    return file;
  };
  const haServer = b.start('haproxy', [
    '-db',
    '-f',
    haConf(
      'ha-server',
      `frontend f\n  bind 127.0.0.1:${ports.haPeer} ssl crt ${f('server.pem')} ca-file ${f('ca.crt')} verify required ssl-min-ver TLSv1.3\n  default_backend b\nbackend b\n  server s 127.0.0.1:${ports.upstream}`,
    ),
  ]);
  const haClient = b.start('haproxy', [
    '-db',
    '-f',
    haConf(
      'ha-client',
      `frontend f\n  bind 127.0.0.1:${ports.haIn}\n  default_backend b\nbackend b\n  server s 127.0.0.1:${ports.haPeer} ssl crt ${f('client.pem')} ca-file ${f('ca.crt')} verify required verifyhost server ssl-min-ver TLSv1.3`,
    ),
  ]);
  targets.push({ name: 'haproxy-pair', port: ports.haIn, procs: [haClient, haServer] });

  // The Trellis pair runs bundled (as the image would run compiled JS), metrics on.
  const entry = bundle(b, here('../shared/trellis-node.ts'), 'trellis-node');
  // The image's flags unless TRELLIS_NODE_FLAGS says otherwise.
  const flags = process.env.TRELLIS_NODE_FLAGS?.split(' ').filter(Boolean) ?? [...proxyNodeFlags];
  const vols = trellisVolumes(b, ports, 'trellis');
  const trellis = startTrellisNodes(b, entry, flags, {
    upstream: ports.upstream,
    inPort: ports.trIn,
    peerPort: ports.trPeer,
    dst: { ip: clusterIp, port: 80 },
    config: vols.config,
    serverId: vols.server,
    clientId: vols.client,
  });
  targets.push({ name: 'trellis-pair', port: ports.trIn, procs: trellis });

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
  const polConfig = volume(b, 'config-policies', { 'config.json': JSON.stringify(policyConfig) });
  const idp = volume(b, 'id-policy-client', {
    'tls.crt': policyClient.cert,
    'tls.key': policyClient.key,
    'ca.crt': b.certs.ca.cert,
  });
  const policies = startTrellisNodes(b, entry, flags, {
    upstream: ports.upstream,
    inPort: ports.polIn,
    peerPort: ports.polPeer,
    dst: { ip: benchService.clusterIp, port: benchService.port },
    config: polConfig,
    serverId: vols.server,
    clientId: idp,
  });
  targets.push({ name: 'trellis-pair-policies', port: ports.polIn, procs: policies });
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
  b.stop();
}
