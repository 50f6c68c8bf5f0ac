// `tsx bench/h1/metrics-micro.ts`: CPU per request of the golden-metric updates the HTTP path
// makes (requests, duration, request and response bytes), prom-client's classes against the
// cell ones in metrics.ts, in one process, alternating, 5 rounds of 200,000 requests each.
import { Counter, Histogram, Registry } from 'prom-client';
import {
  CellCounter,
  CellHistogram,
  type RequestLabels,
  requestLabels,
} from '../../src/sidecar-image/proxy/metrics.js';

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const up = {
  direction: 'outbound',
  source_workload: 'web',
  source_namespace: 'shop',
  destination_service: 'orders.shop',
  destination_workload: 'orders',
  tls: 'mtls',
};
function make(cells: boolean) {
  const registry = new Registry();
  const cfg = (name: string) => ({ name, help: 'h', labelNames: requestLabels, registers: [registry] });
  const C = cells ? CellCounter : Counter;
  return {
    requests: new C(cfg('r_total')),
    duration: cells
      ? new CellHistogram({ ...cfg('d_seconds'), buckets })
      : new Histogram({ ...cfg('d_seconds'), buckets }),
    reqBytes: new C(cfg('q_total')),
    resBytes: new C(cfg('s_total')),
  };
}
function run(m: ReturnType<typeof make>, n: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    // As the node-http transport built them (before the h1 engine): a fresh object per request, the status as a fresh string.
    const labels: RequestLabels = { ...up, response_code: String(200 + (i & 1)), response_flags: '-' };
    m.requests.inc(labels);
    m.duration.observe(labels, 0.0012);
    m.reqBytes.inc(labels, 0);
    m.resBytes.inc(labels, 5);
  }
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / n; // ns per request
}
const plain = make(false);
const cells = make(true);
const res: { round: number; prom_ns: number; cells_ns: number }[] = [];
for (let round = 1; round <= 5; round++) {
  res.push({ round, prom_ns: Math.round(run(plain, 200_000)), cells_ns: Math.round(run(cells, 200_000)) });
}
console.table(res);
