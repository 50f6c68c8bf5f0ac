/**
 * `npm run bench:webhook`: the injector's admission latency under a steady
 * 200 reviews/s, then pod creations per second through the real local API
 * server with and without the webhook. Writes bench/results/webhook.json.
 *
 * The injector runs as its own process (its real entry point), so the load
 * generator does not share its event loop. The API server trusts it through a
 * caBundle set from the test fixture certificate (SAN 127.0.0.1).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { renderWebhookConfiguration } from '../../src/webhook/mwc.js';

const root = new URL('../../', import.meta.url).pathname;
const fixtures = join(root, 'test/fixtures/webhook');
const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const pods = Number(process.env.BENCH_PODS ?? 150);
const podConcurrency = 8;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
const round = (n: number) => Math.round(n * 1000) / 1000;

async function startInjector(dir: string): Promise<{ child: ChildProcess; url: string }> {
  copyFileSync(join(fixtures, 'tls-a.crt'), join(dir, 'tls.crt'));
  copyFileSync(join(fixtures, 'tls-a.key'), join(dir, 'tls.key'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src/webhook/main.ts'),
      '--cert-dir',
      dir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
    ],
    // Logs at info, as in production: one line per review, drained to /dev/null below.
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TRELLIS_INJECTOR_KUBECONFIG: kubeconfigPath() },
    },
  );
  const stdout = child.stdout as NodeJS.ReadableStream;
  for await (const line of createInterface({ input: stdout })) {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg === 'injector listening' && entry.url) {
      stdout.resume();
      return { child, url: entry.url };
    }
  }
  throw new Error('the injector exited before listening');
}

function kubeconfigPath(): string {
  return process.env.KUBECONFIG ?? join(root, '.cluster/kubeconfig');
}

/** Open-loop load: one review every 1/rate s regardless of answers, so latency is not hidden by back-pressure. */
async function loadWebhook(
  url: string,
): Promise<{ rps: number; p50_ms: number; p99_ms: number; errors: number }> {
  const review = JSON.parse(readFileSync(join(fixtures, 'pod-create.json'), 'utf8')) as {
    request: { uid: string };
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: readFileSync(join(fixtures, 'tls-a.crt')) });
  const target = new URL('/inject', url);
  const send = () =>
    new Promise<number>((resolve, reject) => {
      review.request.uid = randomUUID();
      const body = JSON.stringify(review);
      const start = performance.now();
      const req = request(
        target,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - start)
              : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // Warm up connections and the JIT.
  await Promise.all(Array.from({ length: 200 }, send));

  const before = await serverBuckets(url, agent);
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      send().then(
        (ms) => void latencies.push(ms),
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  console.log(`server-side (its own histogram): ${serverSide(before, await serverBuckets(url, agent))}`);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: round(latencies.length / elapsed),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors,
  };
}

/** The injector's own cumulative histogram of injected reviews: [upper bound, count]. */
async function serverBuckets(url: string, agent: Agent): Promise<(readonly [string, number])[]> {
  const text = await new Promise<string>((resolve, reject) => {
    request(new URL('/metrics', url), { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
  return [...text.matchAll(/admission_duration_seconds_bucket\{le="([^"]+)",result="injected"\} (\d+)/g)].map(
    (m) => [m[1] ?? '', Number(m[2])] as const,
  );
}

/** The bucket bounds under which 50% and 99% of the reviews between two snapshots fall. */
function serverSide(before: (readonly [string, number])[], after: (readonly [string, number])[]): string {
  const diff = after.map(([le, n], i) => [le, n - (before[i]?.[1] ?? 0)] as const);
  const count = diff.at(-1)?.[1] ?? 0;
  const under = (q: number) => diff.find(([, n]) => n >= q * count)?.[0] ?? '?';
  return `${count} reviews, p50 <= ${under(0.5)} s, p99 <= ${under(0.99)} s`;
}

async function createPods(core: CoreV1Api, namespace: string, n: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: `p-${i}` },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
        },
      });
    }
  };
  await Promise.all(Array.from({ length: podConcurrency }, worker));
  return n / ((performance.now() - started) / 1000);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-webhook-'));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  const core = kc.makeApiClient(CoreV1Api);
  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const id = randomUUID().slice(0, 8);
  const meshed = `bench-on-${id}`;
  const plain = `bench-off-${id}`;
  const mwcName = `trellis-bench-${id}`;
  // Latency on a shared machine depends on what else runs: say so next to the figures.
  console.log(
    `load average before: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}`,
  );
  const { child, url } = await startInjector(dir);
  try {
    const webhook = await loadWebhook(url);
    console.log(`webhook alone at ${rate}/s for ${seconds}s:`, webhook);

    await core.createNamespace({
      body: { metadata: { name: meshed, labels: { 'trellis.dev/inject': 'enabled' } } },
    });
    await core.createNamespace({ body: { metadata: { name: plain } } });
    const mwc = renderWebhookConfiguration({
      name: mwcName,
      target: { url },
      namespaceScope: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [meshed] }],
    });
    for (const w of mwc.webhooks ?? [])
      w.clientConfig.caBundle = readFileSync(join(fixtures, 'tls-a.crt')).toString('base64');
    await admission.createMutatingWebhookConfiguration({ body: mwc });
    for (const ns of [meshed, plain]) {
      for (let i = 0; i < 120; i++) {
        const ok = await core.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(
          () => true,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    // Until the API server has loaded the new configuration, pods in `meshed` might go uninjected: wait for one that is.
    for (let i = 0; ; i++) {
      const pod = await core
        .createNamespacedPod({
          namespace: meshed,
          body: { metadata: { name: `probe-${i}` }, spec: { containers: [{ name: 'app', image: 'x' }] } },
        })
        .catch(() => undefined);
      if (pod?.spec?.initContainers?.some((c) => c.name === 'trellis-proxy')) break;
      if (i > 40) throw new Error('the webhook never took effect');
      await new Promise((r) => setTimeout(r, 250));
    }
    const without = await createPods(core, plain, pods);
    const withWebhook = await createPods(core, meshed, pods);
    const injected = (await core.listNamespacedPod({ namespace: meshed })).items.filter((p) =>
      p.spec?.initContainers?.some((c) => c.name === 'trellis-proxy'),
    ).length;
    console.log(
      `pods/s without webhook ${round(without)}, with ${round(withWebhook)} (${injected} injected)`,
    );

    const rows = [
      { name: 'webhook', rps: webhook.rps, p50_ms: webhook.p50_ms, p99_ms: webhook.p99_ms },
      { name: 'apiserver-with-webhook', pods_per_s: round(withWebhook) },
      { name: 'apiserver-without-webhook', pods_per_s: round(without) },
    ];
    mkdirSync(join(root, 'bench/results'), { recursive: true });
    writeFileSync(join(root, 'bench/results/webhook.json'), `${JSON.stringify({ rows }, null, 2)}\n`);
    console.log(JSON.stringify({ rows }));
    console.log(
      `load average after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await admission.deleteMutatingWebhookConfiguration({ name: mwcName }).catch(() => undefined);
    await core.deleteNamespace({ name: meshed }).catch(() => undefined);
    await core.deleteNamespace({ name: plain }).catch(() => undefined);
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
