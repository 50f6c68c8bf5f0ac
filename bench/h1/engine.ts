// `tsx bench/h1/engine.ts`: what the lean HTTP/1.1 engine (src/sidecar-image/proxy/h1) gives.
// One run starts the nginx upstream, the nginx mTLS pair (reference), the Trellis pair as it is
// (bundled), and two pairs of bench/h1/engine-node.ts (TLS 1.3 mTLS between them, golden metrics
// and trace propagation on): `node` (http server + keep-alive Agent) and `engine` (h1/). wrk
// (1 thread, 16 connections) then runs against each in turn, H1_ROUNDS rounds of H1_SECONDS,
// and the raw-socket open-loop generator (open-loop-raw.ts) at 1,000 req/s gives p50/p99 and its
// own lag (high lag: the machine, not the target, delayed the requests). Reports requests/s as a ratio to
// the nginx pair measured in the same round, CPU µs per request of each pair, and peak RSS.

import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  bundle,
  createBench,
  ports,
  rssMb,
  snapshot,
  startReference,
  startTrellisPair,
  waitForPort,
  wrk,
  wrkRun,
} from './setup.js';

const seconds = Number(process.env.H1_SECONDS ?? 4);
const rounds = Number(process.env.H1_ROUNDS ?? 3);
const openLoopSeconds = Number(process.env.H1_OPEN_LOOP_SECONDS ?? 3);
const flags = process.env.H1_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
const b = createBench();
try {
  const targets: { name: string; port: number; procs: ChildProcess[] }[] = [
    { name: 'nginx-pair', port: ports.nginxIn, procs: await startReference(b) },
  ];
  const root = snapshot(b, 'work', process.env.H1_COMMIT ?? 'HEAD', true);
  if (process.env.H1_SKIP_TRELLIS !== '1') {
    targets.push({
      name: 'trellis-pair',
      port: ports.trIn,
      procs: await startTrellisPair(b, flags, 'tr', { root, bundled: true }),
    });
  }
  const entry = bundle(b, join(root, 'bench/h1/engine-node.ts'), 'engine-node');
  const pair = async (mode: string, inPort: number, peerPort: number) => {
    const server = b.start(process.execPath, [
      ...flags,
      entry,
      mode,
      'server',
      String(peerPort),
      String(ports.upstream),
      b.dir,
    ]);
    const client = b.start(process.execPath, [
      ...flags,
      entry,
      mode,
      'client',
      String(inPort),
      String(peerPort),
      b.dir,
    ]);
    await waitForPort(peerPort);
    await waitForPort(inPort);
    return [client, server];
  };
  targets.push({ name: 'node-http-pair', port: 18231, procs: await pair('node', 18231, 18232) });
  targets.push({ name: 'h1-engine-pair', port: 18241, procs: await pair('engine', 18241, 18242) });
  for (const t of targets) await wrk(`http://127.0.0.1:${t.port}/`, 2); // warm-up (JIT)

  const results = new Map(
    targets.map((t) => [t.name, { ratio: [] as number[], rps: [] as number[], cpu: [] as number[] }]),
  );
  for (let round = 1; round <= rounds; round++) {
    let nginxRps = 0;
    for (const t of targets) {
      const r = await wrkRun(
        `http://127.0.0.1:${t.port}/`,
        seconds,
        t.procs.map((p) => p.pid),
      );
      if (t.name === 'nginx-pair') nginxRps = r.rps;
      const res = results.get(t.name);
      res?.rps.push(r.rps);
      res?.ratio.push(r.rps / nginxRps);
      res?.cpu.push(r.cpuUsPerRequest);
      console.error(
        `round ${round} ${t.name}: ${r.rps.toFixed(0)}/s, ${r.cpuUsPerRequest} µs CPU/req, ${(r.rps / nginxRps).toFixed(3)}x nginx`,
      );
    }
  }
  const latency = new Map<
    string,
    { p50_ms: number; p99_ms: number; p999_ms: number; errors: number; lag_p99_ms: number }
  >();
  for (const t of targets) {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench/h1/open-loop-raw.ts'),
        `http://127.0.0.1:${t.port}/`,
        '1000',
        String(openLoopSeconds),
      ],
      { encoding: 'utf8', timeout: (openLoopSeconds + 15) * 1000 },
    );
    latency.set(t.name, JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
  }
  const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)] ?? 0;
  console.table(
    targets.map((t) => {
      const r = results.get(t.name);
      const l = latency.get(t.name);
      return {
        pair: t.name,
        'median req/s': Math.round(median(r?.rps ?? [])),
        'median ratio vs nginx': Number(median(r?.ratio ?? []).toFixed(3)),
        ratios: (r?.ratio ?? []).map((x) => x.toFixed(2)).join(' '),
        'CPU µs/req (median)': median(r?.cpu ?? []),
        'p50 ms @1k': l?.p50_ms,
        'p99 ms @1k': l?.p99_ms,
        'p99.9 ms @1k': l?.p999_ms,
        'generator lag p99 ms': l?.lag_p99_ms,
        'peak RSS MB per proxy': t.procs.map((p) => rssMb(p.pid).hwm).join(' / '),
      };
    }),
  );
} finally {
  b.stop();
}
