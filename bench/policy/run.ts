/**
 * `npx tsx bench/policy/run.ts`: the cost of the policy engines per request, in-process, with the
 * realistic policy set of fixture.ts — no sockets, so it isolates what the policies add to the
 * request path. Prints one JSON object: ns per request for each step and for the whole sequence,
 * plus heap growth over the run. Numbers depend on the machine and its load; nothing asserts them.
 */
import { performance } from 'node:perf_hooks';
import { proxyConfig } from '../../src/api/proxy-config.js';
import { namespaceOfPrincipal } from '../../src/sidecar-image/proxy/policy/authz.js';
import { PolicySet, RouteRuntime } from '../../src/sidecar-image/proxy/policy/policy-set.js';
import type { RequestView } from '../../src/sidecar-image/proxy/policy/request-view.js';
import { RuntimeState } from '../../src/sidecar-image/proxy/policy/runtime-state.js';
import { faultFor } from '../../src/sidecar-image/proxy/policy/sampler.js';
import { benchService, realisticConfig } from './fixture.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 500_000);
const loaded = PolicySet.load(
  proxyConfig.parse(realisticConfig()),
  { namespace: benchService.namespace, labels: { app: 'echo', version: 'v1' } },
  new RuntimeState(),
);
if (!loaded.ok) throw new Error(loaded.errors.join('; '));
const set = loaded.set;

// The request falls through the 19 specific rules to the catch-all, the worst case for matching.
const view: RequestView = {
  method: 'GET',
  path: '/shop/items/42',
  query: 'page=2',
  headers: { 'x-tenant': 'none' },
};
const principal = 'spiffe://cluster.local/ns/bench/sa/client-9';
const callerNs = namespaceOfPrincipal(principal);
const keyOf = (ip: string) => ip;
const scratch: string[] = [];
const ips = ['10.0.0.1', '10.0.0.2'];
const random = Math.random;

const steps: Record<string, () => void> = {
  'route.select': () => {
    set.route(benchService.namespace, benchService.name, benchService.port)?.select(view);
  },
  'split.pick': () => {
    const rule = set.route(benchService.namespace, benchService.name, benchService.port)?.select(view);
    if (rule) RouteRuntime.pick(rule);
  },
  'rateLimit.take': () => {
    set
      .route(benchService.namespace, benchService.name, benchService.port)
      ?.rules[19]?.rateLimiter?.take(principal);
  },
  'fault.draw': () => {
    faultFor(undefined, random);
  },
  'breaker.start+end': () => {
    const d = set.destination(benchService.namespace, benchService.name, 'v1');
    d?.breaker.startRequest();
    d?.breaker.endRequest();
  },
  'outlier.healthy+report': () => {
    const d = set.destination(benchService.namespace, benchService.name, 'v1');
    d?.outlier?.healthy(ips, keyOf, scratch);
    d?.outlier?.report('10.0.0.1', 200, 'none');
  },
  'retry.decide': () => {
    const d = set.destination(benchService.namespace, benchService.name, 'v1');
    d?.budget.recordRequest();
    set.defaultRetry.decide(1, 200, -1, 'none', true, d?.budget ?? { tryRetry: () => false });
  },
  'authz.decide': () => {
    set.authz.decide({ principal, namespace: callerNs, method: 'GET', path: view.path, port: 8080 });
  },
};

function measure(fn: () => void): number {
  for (let i = 0; i < 20_000; i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - start) * 1e6) / iterations;
}

const results: Record<string, number> = {};
const heapBefore = process.memoryUsage().heapUsed;
for (const [name, fn] of Object.entries(steps)) results[name] = Math.round(measure(fn));
const all = Object.values(steps);
results['all steps, one request'] = Math.round(
  measure(() => {
    for (const fn of all) fn();
  }),
);
const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;
process.stdout.write(
  `${JSON.stringify({ unit: 'ns per request', iterations, node: process.version, results, heapGrowthBytes }, null, 2)}\n`,
);
