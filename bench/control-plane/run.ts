/**
 * `npm run bench:control-plane`: how fast the operator turns changes into `trellis-proxy-config`
 * ConfigMaps, how many writes a burst costs, and the operator's CPU and RSS at 1,000 and 5,000
 * endpoints. Writes bench/results/control-plane.json and prints a table.
 *
 * The operator is the real process as it ships (`npm run build`, then `node dist/operator/main.js`;
 * every registered controller, watching the whole cluster) so /proc shows its CPU and RSS. It runs against a private kube-apiserver and etcd
 * started from the dev cluster's binaries and PKI: a cluster-wide operator on the shared dev cluster
 * would write ConfigMaps into every other test's meshed namespaces, and the MeshConfig `default` it
 * needs is a singleton that other tests create and delete. Everything the run creates lives in that
 * private etcd, which is removed at the end.
 *
 * Settings (environment): BENCH_SIZES (default 1000,5000), BENCH_SCALE_REPS (5), BENCH_WEIGHT_REPS
 * (10), BENCH_CPU_PROF=<dir> (run the operator with --cpu-prof, the profile is written on exit),
 * BENCH_OPERATOR=tsx (run src/operator/main.ts under tsx instead of the build, as earlier runs did).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api } from '@kubernetes/client-node';
import { ensureBinaries } from '../../devcluster/build.js';
import { up } from '../../devcluster/cluster.js';
import { repoRoot } from '../../devcluster/paths.js';
import { apiVersion, group } from '../../src/api/names.js';
import { ProxyConfigWatch } from './config-watch.js';
import { buildOperator, type OperatorRuntime, startOperatorProcess } from './operator-process.js';
import { freePort, privateKubeConfig, startApiserver, startEtcd } from './private-apiserver.js';
import { cpuSeconds, peakRssMb } from './proc.js';
import { inParallel, mean, percentile } from './stats.js';
import * as w from './workload.js';

const sizes = (process.env.BENCH_SIZES ?? '1000,5000').split(',').map(Number);
const scaleReps = Number(process.env.BENCH_SCALE_REPS ?? 5);
const weightReps = Number(process.env.BENCH_WEIGHT_REPS ?? 10);
const cpuProfDir = process.env.BENCH_CPU_PROF;
const runtime: OperatorRuntime = process.env.BENCH_OPERATOR === 'tsx' ? 'tsx' : 'compiled';
/** Longer than the debouncer's 1 s maximum wait: every write a change still causes has happened by then. */
const settleMs = 1500;
const convergeTimeoutMs = 120_000;
/** The whole run is bounded: past this, it stops, cleans up and exits 1. */
const overallTimeoutMs = 30 * 60_000;
/** Requests in flight while creating objects: enough to keep the API server busy, not to swamp it. */
const createConcurrency = 16;

const log = (line: string) => console.log(`[bench:control-plane] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits: number) => Number(n.toFixed(digits));

interface Sample {
  ms: number;
  /** From the change to the first ConfigMap write: debounce, computing, one apply. */
  firstWriteMs: number;
  writes: number;
  cpu: number;
}

interface Row {
  name: string;
  samples: number;
  endpoints: number;
  namespaces: number;
  p50_ms: number;
  p99_ms: number;
  first_write_p50_ms: number;
  writes: number;
  writes_max: number;
  cpu_s: number;
  rss_mb: number;
  ramp_ms?: number;
  ramp_cpu_s?: number;
  config_kb?: number;
}

const pct = (samples: Sample[], key: 'ms' | 'firstWriteMs', p: number) =>
  round(
    percentile(
      samples.map((s) => s[key]),
      p,
    ),
    1,
  );
const samplesAt = (...rows: Sample[][]) => rows.reduce((n, r) => n + r.length, 0);

const cleanups: Array<() => Promise<unknown>> = [];
async function cleanUp() {
  for (const step of cleanups.reverse()) await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  cleanups.length = 0;
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'trellis-bench-cp-'));
  cleanups.push(async () => rmSync(tmp, { recursive: true, force: true }));

  // up() builds or finds the binaries and the PKI (and reuses the shared cluster as it is).
  await up(log);
  const { binDir, certManagerCrdDir } = ensureBinaries(log);
  const etcd = await startEtcd(binDir, tmp);
  cleanups.push(() => etcd.stop());
  const port = await freePort();
  const apiserver = await startApiserver(binDir, {
    etcdUrl: etcd.url,
    port,
    log: join(tmp, 'apiserver.log'),
  });
  cleanups.push(() => apiserver.stop());
  const kubeconfig = join(tmp, 'kubeconfig');
  const kc = privateKubeConfig(port, kubeconfig);
  log(`private kube-apiserver on 127.0.0.1:${port}, etcd ${etcd.url}`);

  const kubectl = (...args: string[]) =>
    execFileSync(join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { stdio: 'pipe' });
  kubectl('apply', '--server-side', '-f', certManagerCrdDir, '-f', join(repoRoot, 'config/crd'));
  kubectl('wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s');

  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: 'trellis-system' } } });
  await core.createNode({ body: { metadata: { name: w.node } } });
  await custom.createClusterCustomObject({
    group,
    version: 'v1alpha1',
    plural: 'meshconfigs',
    body: { apiVersion, kind: 'MeshConfig', metadata: { name: 'default' }, spec: {} },
  });

  const watch = await ProxyConfigWatch.start(kc);
  cleanups.push(async () => watch.stop());
  if (runtime === 'compiled') buildOperator(log);
  const operator = await startOperatorProcess({
    kubeconfig,
    runtime,
    timeoutMs: 120_000,
    ...(cpuProfDir ? { cpuProfDir } : {}),
  });
  cleanups.push(async () => log(`operator exited with ${await operator.stop()}`));
  const idleRssMb = round(peakRssMb(operator.pid), 1);
  log(`operator (${runtime}) pid ${operator.pid} ready; idle RSS ${idleRssMb} MiB`);

  const nsIndexes = Array.from({ length: w.namespaces }, (_, i) => i);
  const expected: w.Expected = new Map();
  const converged = () =>
    nsIndexes.every((i) => {
      const doc = watch.docs.get(w.namespaceName(i));
      return doc !== undefined && w.matches(doc, expected);
    });
  let routeWeight = 50;
  const routeConverged = () =>
    nsIndexes.every((i) => {
      const doc = watch.docs.get(w.namespaceName(i));
      return doc !== undefined && w.routeWeight(doc) === routeWeight;
    });

  /** Runs a change, waits until every namespace's document shows it, then lets the writes settle. */
  const measure = async (what: string, change: () => Promise<void>, done: () => boolean): Promise<Sample> => {
    const writes0 = watch.writes;
    const cpu0 = cpuSeconds(operator.pid);
    const t0 = performance.now();
    watch.markChange(t0);
    await change();
    const at = await watch.until(what, done, convergeTimeoutMs).catch((err: unknown) => {
      throw new Error(`${String(err)}; the operator's last lines:\n${operator.tail()}`);
    });
    await sleep(settleMs);
    return {
      ms: at - t0,
      firstWriteMs: watch.firstWrite() ?? Number.NaN,
      writes: watch.writes - writes0,
      cpu: cpuSeconds(operator.pid) - cpu0,
    };
  };

  // The mesh starts with every namespace, its ServiceAccount and scale services at 1 endpoint.
  await inParallel(nsIndexes, createConcurrency, async (i) => {
    const namespace = w.namespaceName(i);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: w.serviceAccount } } });
  });
  let background = 0;
  let scaledTo = 1;
  const scaleSlices = nsIndexes.flatMap((i) =>
    Array.from({ length: w.scalePerNamespace }, (_, s) => ({ i, s, svc: w.scaleService(s) })),
  );
  for (const { i, svc } of scaleSlices) expected.set(`${w.namespaceName(i)}/${svc}`, scaledTo);

  /** Creates what the next size needs: pods, then Services, then slices, as a cluster fills up. */
  const grow = async (perNamespace: number) => {
    const created: Array<{ i: number; svc: string; index: number; count: number }> = [];
    if (background === 0) {
      for (const { i, s, svc } of scaleSlices) created.push({ i, svc, index: w.scaleIndex(s), count: 1 });
    }
    for (const i of nsIndexes) {
      for (let b = background; b < perNamespace; b++) {
        created.push({
          i,
          svc: w.backgroundService(b),
          index: w.backgroundIndex(b),
          count: w.endpointsPerService,
        });
      }
    }
    const pods = created.flatMap(({ i, svc }) =>
      Array.from({ length: w.endpointsPerService }, (_, j) => ({ namespace: w.namespaceName(i), svc, j })),
    );
    await inParallel(pods, createConcurrency, ({ namespace, svc, j }) =>
      core.createNamespacedPod({ namespace, body: w.pod(w.podName(svc, j), svc) }),
    );
    await inParallel(created, createConcurrency, ({ i, svc }) =>
      core.createNamespacedService({ namespace: w.namespaceName(i), body: w.service(svc) }),
    );
    await inParallel(created, createConcurrency, ({ i, svc, index, count }) =>
      discovery.createNamespacedEndpointSlice({
        namespace: w.namespaceName(i),
        body: w.slice(i, svc, index, count),
      }),
    );
    for (const { i, svc, count } of created) expected.set(`${w.namespaceName(i)}/${svc}`, count);
    background = perNamespace;
  };

  const scaleTo = (count: number) =>
    measure(
      `50 services at ${count} endpoints in every namespace`,
      async () => {
        await inParallel(scaleSlices, scaleSlices.length, ({ i, s, svc }) =>
          discovery.patchNamespacedEndpointSlice({
            name: `${svc}-bench`,
            namespace: w.namespaceName(i),
            body: [
              { op: 'replace', path: '/endpoints', value: w.slice(i, svc, w.scaleIndex(s), count).endpoints },
            ],
          }),
        );
        scaledTo = count;
        for (const { i, svc } of scaleSlices) expected.set(`${w.namespaceName(i)}/${svc}`, count);
      },
      converged,
    );

  const rows: Row[] = [];
  const routes = { group, version: 'v1alpha1', plural: 'trafficroutes', namespace: w.namespaceName(0) };
  for (const size of sizes) {
    const perNamespace = w.backgroundPerNamespace(size);
    const endpoints = w.namespaces * (perNamespace + w.scalePerNamespace) * w.endpointsPerService;
    log(
      `growing to ${endpoints} endpoints (${w.namespaces} namespaces, ${perNamespace + w.scalePerNamespace} services each)`,
    );
    if (scaledTo !== 1) await scaleTo(1);
    const ramp = await measure(
      `${endpoints} endpoints created`,
      async () => {
        await grow(perNamespace);
        if (rows.length === 0) {
          await custom.createNamespacedCustomObject({ ...routes, body: w.route(routeWeight) });
        }
      },
      () => converged() && routeConverged(),
    );
    log(
      `converged ${(ramp.ms / 1000).toFixed(1)} s after the first create; operator CPU ${ramp.cpu.toFixed(2)} s`,
    );

    const ups: Sample[] = [];
    const downs: Sample[] = [];
    for (let rep = 0; rep < scaleReps; rep++) {
      if (scaledTo !== 1) downs.push(await scaleTo(1));
      ups.push(await scaleTo(w.endpointsPerService));
    }
    const weights: Sample[] = [];
    for (let rep = 0; rep < weightReps; rep++) {
      const next = routeWeight >= 90 ? 10 : routeWeight + 10;
      weights.push(
        await measure(
          `route weight ${next} in every namespace`,
          async () => {
            await custom.patchNamespacedCustomObject({
              ...routes,
              name: w.routeName,
              body: [
                { op: 'replace', path: '/spec/rules/0/destinations/0/weight', value: next },
                { op: 'replace', path: '/spec/rules/0/destinations/1/weight', value: 100 - next },
              ],
            });
            routeWeight = next;
          },
          routeConverged,
        ),
      );
    }
    const rss = peakRssMb(operator.pid);
    if (samplesAt(ups, downs, weights) === 0) throw new Error('no samples: BENCH_*_REPS must be at least 1');
    const row = (name: string, samples: Sample[], extra: Partial<Row> = {}): Row => ({
      name,
      samples: samples.length,
      endpoints,
      namespaces: w.namespaces,
      p50_ms: pct(samples, 'ms', 0.5),
      p99_ms: pct(samples, 'ms', 0.99),
      first_write_p50_ms: pct(samples, 'firstWriteMs', 0.5),
      writes: round(mean(samples.map((s) => s.writes)), 1),
      writes_max: Math.max(...samples.map((s) => s.writes)),
      cpu_s: round(
        samples.reduce((a, s) => a + s.cpu, 0),
        2,
      ),
      rss_mb: round(rss, 1),
      ...extra,
    });
    const changeRows = [
      row(`weight-edit@${size}`, weights),
      row(`scale-50x1-to-10@${size}`, ups),
      row(`scale-50x10-to-1@${size}`, downs),
    ].filter((r) => r.samples > 0);
    rows.push(
      row(`${size}-endpoints`, [...weights, ...ups, ...downs], {
        ramp_ms: round(ramp.ms, 0),
        ramp_cpu_s: round(ramp.cpu, 2),
        config_kb: round(Math.max(...watch.bytes.values()) / 1024, 1),
      }),
      ...changeRows,
    );
  }

  const results = join(repoRoot, 'bench/results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, 'control-plane.json'),
    `${JSON.stringify({ operator: runtime, idle_rss_mb: idleRssMb, rows }, null, 2)}\n`,
  );
  const columns = [
    'name',
    'samples',
    'endpoints',
    'p50_ms',
    'p99_ms',
    'first_write_p50_ms',
    'writes',
    'writes_max',
    'cpu_s',
    'rss_mb',
  ] as const;
  const table = [columns.map(String), ...rows.map((r) => columns.map((c) => String(r[c])))];
  const widths = columns.map((_, c) => Math.max(...table.map((line) => (line[c] ?? '').length)));
  for (const line of table) console.log(line.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
  log(
    `writes are per change, across ${w.namespaces} namespaces; cpu_s is the operator's CPU over the row's changes`,
  );
  log('wrote bench/results/control-plane.json');
}

const overall = setTimeout(() => {
  log(`over the ${overallTimeoutMs / 60_000} min bound; stopping`);
  cleanUp().finally(() => process.exit(1));
}, overallTimeoutMs);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUp().finally(() => process.exit(1));
  });
}

main()
  .then(async () => {
    await cleanUp();
    clearTimeout(overall);
  })
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanUp();
    clearTimeout(overall);
    process.exitCode = 1;
  });
