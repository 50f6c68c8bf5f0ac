// `tsx bench/h1/profile.ts`: profiles the Trellis pair under saturation load. Starts the nginx
// upstream, the nginx mTLS pair (reference) and the Trellis pair (unbundled through tsx, so the
// profile names each module), runs wrk alternately against both, samples each proxy's RSS, then
// stops the pair and summarises the CPU profiles written to bench/h1/out/.
// Env: H1_SECONDS (per wrk run, default 8), H1_NODE_FLAGS (extra node flags), H1_PROFILE=0 to skip
// --cpu-prof (profiling costs throughput), H1_BUNDLE=1 to run the bundled proxy instead,
// H1_COMMIT (default HEAD) and H1_TREE=base|work (see setup.ts snapshot) for the code profiled.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanDir,
  createBench,
  exited,
  here,
  ports,
  rssMb,
  snapshot,
  startReference,
  startTrellisPair,
  wrk,
} from './setup.js';

interface MemLine {
  host: string;
  rss: number;
}
const memLines = (file: string): MemLine[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as MemLine)
    : [];

const seconds = Number(process.env.H1_SECONDS ?? 8);
const profile = process.env.H1_PROFILE !== '0';
const out = here('./out');
const b = createBench();
try {
  await startReference(b);
  if (profile) cleanDir(out);
  const flags = [
    ...(process.env.H1_BUNDLE === '1' ? [] : ['--import', 'tsx']),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${out}`, '--cpu-prof-interval=250'] : []),
    ...(process.env.H1_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  const memFile = b.files('mem.jsonl');
  process.env.H1_MEM_FILE = memFile;
  const root = snapshot(b, 'profile', process.env.H1_COMMIT ?? 'HEAD', process.env.H1_TREE !== 'base');
  const pair = await startTrellisPair(b, flags, 'profile', { root, bundled: process.env.H1_BUNDLE === '1' });
  await new Promise((r) => setTimeout(r, 600));
  const idle = memLines(memFile).slice(-2);
  const trellis = `http://127.0.0.1:${ports.trIn}/`;
  const nginx = `http://127.0.0.1:${ports.nginxIn}/`;
  await wrk(trellis, 1);
  await wrk(nginx, 1);
  let peak = [0, 0];
  const sampler = setInterval(() => {
    peak = pair.map((p, i) => Math.max(peak[i] ?? 0, rssMb(p.pid).rss));
  }, 200);
  const rows: { round: number; nginx: number; trellis: number }[] = [];
  for (let round = 1; round <= 2; round++) {
    const n = await wrk(nginx, seconds);
    const t = await wrk(trellis, seconds);
    rows.push({ round, nginx: n, trellis: t });
  }
  clearInterval(sampler);
  const ratio = rows.map((r) => r.trellis / r.nginx);
  console.table(rows.map((r, i) => ({ ...r, ratio: Number(ratio[i]?.toFixed(3)) })));
  console.log(
    JSON.stringify({
      flags,
      ratio: Number((ratio.reduce((a, c) => a + c, 0) / ratio.length).toFixed(3)),
      rss_now_mb: pair.map((p) => rssMb(p.pid).rss),
      rss_peak_mb: pair.map((p) => rssMb(p.pid).hwm),
    }),
  );
  // The heap at the moment each proxy's RSS peaked, and at idle after start.
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    const mine = memLines(memFile).filter((l) => l.host === host);
    const top = mine.reduce((a, l) => (l.rss > a.rss ? l : a), mine[0] ?? { rss: 0 });
    console.log(JSON.stringify({ idle: idle.find((l) => l.host === host), peak: top }));
  }
  for (const p of pair) p.kill('SIGTERM');
  await Promise.all(pair.map((p) => exited(p)));
  if (profile) {
    for (const f of readdirSync(out)
      .filter((n) => n.endsWith('.cpuprofile'))
      .sort()) {
      execFileSync(process.execPath, ['--import', 'tsx', here('./cpu-summary.ts'), join(out, f), '30'], {
        stdio: 'inherit',
      });
    }
  }
} finally {
  b.stop();
}
