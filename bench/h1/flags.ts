// `tsx bench/h1/flags.ts 'label=--flag --flag' 'base:label=...' ...`: variants of the bundled
// Trellis pair (node/V8 flags; a `base:` prefix runs the commit's own code, without this work's
// files from the checkout; H1_COMMIT picks the commit, default HEAD), each started fresh and measured against the nginx pair in the same run
// (wrk alternating nginx, trellis, H1_ROUNDS times, H1_SECONDS each): throughput ratio, peak RSS
// (VmHWM) and RSS at the end of the load, per proxy. Variants run in the order given, then again
// in reverse, so drift in the machine's load does not favour whichever ran first.
import {
  createBench,
  ports,
  rssMb,
  snapshot,
  startReference,
  startTrellisPair,
  wrk,
  wrkRun,
} from './setup.js';

const seconds = Number(process.env.H1_SECONDS ?? 4);
const rounds = Number(process.env.H1_ROUNDS ?? 2);
const variants = process.argv.slice(2).map((arg) => {
  const eq = arg.indexOf('=');
  const label = eq < 0 ? arg : arg.slice(0, eq);
  const flags = eq < 0 ? '' : arg.slice(eq + 1);
  return { label, base: label.startsWith('base:'), flags: flags.split(' ').filter(Boolean) };
});
const b = createBench();
const commit = process.env.H1_COMMIT ?? 'HEAD';
const trees = {
  base: { root: snapshot(b, 'base', commit, false), bundled: true },
  work: { root: snapshot(b, 'work', commit, true), bundled: true },
};
const results: Record<
  string,
  { ratios: number[]; hwm: number[]; rss: number[]; cpu: number[]; nginxCpu: number[] }
> = {};
try {
  const nginxPair = await startReference(b);
  const trellis = `http://127.0.0.1:${ports.trIn}/`;
  const nginx = `http://127.0.0.1:${ports.nginxIn}/`;
  await wrk(nginx, 1);
  for (const v of [...variants, ...[...variants].reverse()]) {
    const tag = `${v.label.replace(/\W/g, '_')}-${Date.now()}`;
    const pair = await startTrellisPair(b, v.flags, tag, v.base ? trees.base : trees.work);
    await wrk(trellis, 1);
    const r = results[v.label] ?? { ratios: [], hwm: [], rss: [], cpu: [], nginxCpu: [] };
    results[v.label] = r;
    for (let i = 0; i < rounds; i++) {
      const n = await wrkRun(
        nginx,
        seconds,
        nginxPair.map((p) => p.pid),
      );
      const t = await wrkRun(
        trellis,
        seconds,
        pair.map((p) => p.pid),
      );
      r.ratios.push(t.rps / n.rps);
      r.cpu.push(t.cpuUsPerRequest);
      r.nginxCpu.push(n.cpuUsPerRequest);
      console.error(
        `${v.label}: nginx ${n.rps.toFixed(0)}/s ${n.cpuUsPerRequest} µs/req, trellis ${t.rps.toFixed(0)}/s ${t.cpuUsPerRequest} µs/req, ratio ${(t.rps / n.rps).toFixed(3)}`,
      );
    }
    for (const p of pair) {
      const m = rssMb(p.pid);
      r.hwm.push(m.hwm);
      r.rss.push(m.rss);
    }
    await Promise.all(
      pair.map(
        (p) =>
          new Promise<void>((resolve) => {
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, c) => a + c, 0) / xs.length;
  console.table(
    Object.entries(results).map(([label, r]) => ({
      variant: label,
      'ratio vs nginx': Number(mean(r.ratios).toFixed(3)),
      'min..max': `${Math.min(...r.ratios).toFixed(3)}..${Math.max(...r.ratios).toFixed(3)}`,
      'pair CPU µs/req': Number(mean(r.cpu).toFixed(0)),
      'nginx pair CPU µs/req': Number(mean(r.nginxCpu).toFixed(0)),
      'peak RSS MB (max)': Math.max(...r.hwm),
      'end RSS MB (mean)': Number(mean(r.rss).toFixed(1)),
    })),
  );
} finally {
  b.stop();
}
