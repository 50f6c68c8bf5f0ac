// `tsx bench/h1/ceiling.ts`: the throughput ceiling of a proxy pair on node, against the nginx
// pair in the same run. Two node pairs that do no HTTP work at all (ceiling-node.ts): `pipe`
// (a TLS connection per client connection, as every HTTP/1.1 design has) and `mux` (every client
// connection a stream on one shared TLS connection, written once per event-loop turn, as a
// multiplexed design has). wrk rounds alternate; prints req/s, ratio to nginx and CPU µs/request.
import { proxyNodeFlags } from '../../src/sidecar-image/proxy/node-flags.js';
import {
  bundle,
  createBench,
  here,
  ports,
  startReference,
  startTrellisPair,
  waitForPort,
  wrkRun,
} from './setup.js';

const seconds = Number(process.env.H1_SECONDS ?? 5);
const b = createBench();
try {
  const nginx = await startReference(b);
  const entry = bundle(b, here('./ceiling-node.ts'), 'ceiling');
  const env = { ...process.env, CEILING_PKI: b.dir };
  const node = (args: (string | number)[]) => b.start(process.execPath, [entry, ...args.map(String)], env);
  // Servers first: the mux clients open their links at start.
  const servers = [
    node(['pipe-server', 18302, ports.upstream]),
    node(['mux-server', 18312, ports.upstream]),
    node(['mux-server', 18322, ports.upstream]),
    node(['dmux-server', 18332, ports.upstream]),
  ];
  for (const p of [18302, 18312, 18322, 18332]) await waitForPort(p, '127.0.0.2');
  const clients = [
    node(['pipe-client', 18301, 18302]),
    node(['mux-client', 18311, 18312, 1]),
    node(['mux-client', 18321, 18322, 2]),
    node(['dmux-client', 18331, 18332, 1]),
  ];
  for (const p of [18301, 18311, 18321, 18331]) await waitForPort(p);
  const pair = (i: number) => [clients[i]?.pid, servers[i]?.pid];
  // The Trellis pair as the checkout has it now, bundled as the image runs it.
  const trellis = await startTrellisPair(b, [...proxyNodeFlags], 'ceiling', {
    root: here('../..'),
    bundled: true,
  });
  await new Promise((r) => setTimeout(r, 300));
  const targets: [string, number, (number | undefined)[]][] = [
    ['nginx', ports.nginxIn, nginx.map((p) => p.pid)],
    ['pipe', 18301, pair(0)],
    ['mux1', 18311, pair(1)],
    ['mux2', 18321, pair(2)],
    ['dmux1', 18331, pair(3)],
    ['trellis', ports.trIn, trellis.map((p) => p.pid)],
  ];
  for (const [, port] of targets) await wrkRun(`http://127.0.0.1:${port}/`, 1);
  const rows = [];
  for (let round = 1; round <= Number(process.env.H1_ROUNDS ?? 2); round++) {
    const row: Record<string, number | string> = { round };
    let ref = 0;
    for (const [name, port, pids] of targets) {
      const r = await wrkRun(`http://127.0.0.1:${port}/`, seconds, pids);
      if (name === 'nginx') ref = r.rps;
      row[name] = `${Math.round(r.rps)} (${(r.rps / ref).toFixed(2)}×, ${r.cpuUsPerRequest} µs)`;
    }
    rows.push(row);
  }
  console.table(rows);
} finally {
  b.stop();
}
