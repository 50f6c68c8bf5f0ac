// `tsx bench/h1/cpu-split.ts`: CPU µs per request of each proxy of the Trellis pair (the checkout's
// code, bundled, with the image's node flags unless H1_NODE_FLAGS is set), under wrk (one thread,
// 16 connections). CPU per request holds steadier than requests/s when others load the machine;
// ceiling.ts gives the same figure for node pairs that do no HTTP work. H1_SECONDS (default 4) per
// round, H1_ROUNDS (default 2). Also each proxy's peak RSS so far.
import { proxyNodeFlags } from '../../src/sidecar-image/proxy/node-flags.js';
import { cpuMs, createBench, here, ports, rssMb, startReference, startTrellisPair, wrkRun } from './setup.js';

const seconds = Number(process.env.H1_SECONDS ?? 4);
const flags = process.env.H1_NODE_FLAGS?.split(' ').filter(Boolean) ?? [...proxyNodeFlags];
const b = createBench();
try {
  await startReference(b);
  const [client, server] = await startTrellisPair(b, flags, 'split', { root: here('../..'), bundled: true });
  const url = `http://127.0.0.1:${ports.trIn}/`;
  await wrkRun(url, 1);
  const rows = [];
  for (let round = 1; round <= Number(process.env.H1_ROUNDS ?? 2); round++) {
    const c0 = cpuMs([client?.pid]);
    const s0 = cpuMs([server?.pid]);
    const r = await wrkRun(url, seconds);
    const perRequest = (ms: number) => Math.round((ms * 1000) / r.requests);
    rows.push({
      round,
      rps: Math.round(r.rps),
      client_us: perRequest(cpuMs([client?.pid]) - c0),
      server_us: perRequest(cpuMs([server?.pid]) - s0),
      client_peak_rss_mb: rssMb(client?.pid).hwm,
      server_peak_rss_mb: rssMb(server?.pid).hwm,
    });
  }
  console.log(JSON.stringify({ flags }));
  console.table(rows);
} finally {
  b.stop();
}
