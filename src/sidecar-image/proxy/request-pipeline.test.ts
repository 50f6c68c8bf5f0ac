import type { ServerResponse } from 'node:http';
import { connect as h2connect, createServer as h2server } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrafficPoliciesInput } from '../../api/proxy-config-policies.js';
import { Balancer } from './balancer.js';
import { createMetrics } from './metrics.js';
import { defaultConnectionPool } from './policy/defaults.js';
import { splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import { runOutbound, type Transport } from './request-pipeline.js';
import { Balancers } from './route-target.js';
import { testConfig } from './testing/config.js';
import { registryOf } from './testing/harness.js';
import {
  call,
  callSeries,
  type Reply,
  seeded,
  startApps,
  startClient,
  webService,
} from './testing/policy-client.js';
import { waitFor } from './testing/wait.js';

/**
 * The outbound traffic policy end to end on loopback: a real client proxy (outbound listener, HTTP
 * front, pipeline, pools) in front of real app servers on 127.0.0.x, one address per endpoint.
 */

const dst = { address: '10.96.0.30', port: 80 };
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

type Rule = NonNullable<TrafficPoliciesInput['routes']>[number]['rules'][number];
type EndpointPolicy = NonNullable<TrafficPoliciesInput['destinations']>[number]['policy'];

const route = (...rules: Rule[]): TrafficPoliciesInput['routes'] => [
  { namespace: 'shop', service: 'web', source: 'TrafficRoute shop/web', rules },
];
const to = (subset?: string, weight = 100) => ({ namespace: 'shop', service: 'web', subset, weight });
const retries = (attempts: number, retryOn: ('5xx' | 'connect-failure')[], perTryTimeoutMs?: number) => ({
  attempts,
  perTryTimeoutMs,
  retryOn,
  statusCodes: [],
  grpcCodes: [],
  backoff: { baseMs: 0, maxMs: 0 },
});
const destination = (
  policy: Partial<EndpointPolicy>,
  subsets: string[] = [],
  retryBudget = { percent: 20, minRetriesPerSecond: 10, windowMs: 10_000 },
): TrafficPoliciesInput['destinations'] => [
  {
    namespace: 'shop',
    service: 'web',
    source: 'DestinationPolicy shop/web',
    policy: { loadBalancer: { algorithm: 'ROUND_ROBIN' }, connectionPool: defaultConnectionPool, ...policy },
    retryBudget,
    subsets: subsets.map((v) => ({
      name: v,
      labels: { version: v },
      policy: { loadBalancer: { algorithm: 'ROUND_ROBIN' }, connectionPool: defaultConnectionPool },
    })),
  },
];

async function mesh(
  apps: Parameters<typeof startApps>[0],
  policies: TrafficPoliciesInput,
  random?: () => number,
  accessLog = false,
) {
  const started = await startApps(apps);
  closers.push(started.close);
  const telemetry = { accessLog: { enabled: accessLog }, tracing: { samplingPercent: 0 } };
  const c = await startClient({
    config: { services: [webService(started.endpoints)], policies, telemetry },
    dst,
    random,
  });
  closers.push(c.close);
  return c;
}

const count = (rs: Reply[], f: (r: Reply) => boolean) => rs.filter(f).length;
const ok = (name: string) => (_req: unknown, res: ServerResponse) => res.end(name);

describe('outbound traffic policy through a real proxy', () => {
  it('hides a flaky endpoint behind retries on another endpoint', async () => {
    let flakyTries = 0;
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: (_req, res) => {
            flakyTries++;
            res.statusCode = 500;
            res.end('flaky');
          },
        },
        { ip: '127.0.0.4', handler: ok('good') },
      ],
      {
        routes: route({ name: 'all', matches: [], destinations: [to()], retries: retries(2, ['5xx']) }),
        destinations: destination({}),
      },
    );
    const rs = await callSeries(c.port, 40);
    expect(rs.map((r) => `${r.status} ${r.body}`)).toEqual(Array(40).fill('200 good'));
    // Round robin sends every other first try to the flaky endpoint; each is retried once, elsewhere.
    expect(flakyTries).toBe(20);
    expect((await c.counter('trellis_retries_total')).map((v) => v.value)).toEqual([20]);
  });

  it('retries past a 503 that keeps streaming, within a one-request concurrency limit', async () => {
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: (_req, res) => {
            res.writeHead(503);
            res.write('still going');
          },
        },
        { ip: '127.0.0.4', handler: ok('good') },
      ],
      {
        routes: route({ name: 'all', matches: [], destinations: [to()], retries: retries(1, ['5xx']) }),
        destinations: destination({ connectionPool: { ...defaultConnectionPool, maxConcurrentRequests: 1 } }),
      },
    );
    const r = await call(c.port);
    expect([r.status, r.body]).toEqual([200, 'good']);
  });

  it('caps retries with the budget when every endpoint fails, whatever the attempts', async () => {
    let tries = 0;
    const failing = (_req: unknown, res: ServerResponse) => {
      tries++;
      res.statusCode = 503;
      res.end();
    };
    const c = await mesh(
      [
        { ip: '127.0.0.3', handler: failing },
        { ip: '127.0.0.4', handler: failing },
      ],
      {
        routes: route({ name: 'all', matches: [], destinations: [to()], retries: retries(10, ['5xx']) }),
        // 20 % of requests, no reserve: 200 requests may add exactly 40 retries.
        destinations: destination({}, [], { percent: 20, minRetriesPerSecond: 0, windowMs: 60_000 }),
      },
    );
    const rs = await callSeries(c.port, 200);
    expect(count(rs, (r) => r.status === 503)).toBe(200);
    expect(tries).toBe(240);
    expect(rs.every((r) => r.headers['x-trellis-response-flags'] === undefined)).toBe(true);
    const stopped = await c.counter('trellis_retries_stopped_total');
    expect(stopped.map((v) => [v.labels.reason, v.value])).toEqual([['budget', 200]]);
    const values = (await c.client.ctx.metrics.requests.get()).values;
    expect(values.every((v) => v.labels.response_flags === 'URX')).toBe(true);
    expect(values.reduce((a, v) => a + v.value, 0)).toBe(200);
  });

  it('ejects an endpoint after consecutive 5xx and readmits it after the ejection time', async () => {
    let badTries = 0;
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: (_req, res) => {
            badTries++;
            res.statusCode = 500;
            res.end();
          },
        },
        { ip: '127.0.0.4', handler: ok('a') },
        { ip: '127.0.0.5', handler: ok('b') },
      ],
      {
        routes: route({ name: 'all', matches: [], destinations: [to()], retries: retries(0, []) }),
        destinations: destination({
          outlierDetection: {
            consecutive5xxErrors: 3,
            consecutiveGatewayErrors: 0,
            consecutiveConnectFailures: 0,
            intervalMs: 10_000,
            baseEjectionTimeMs: 1_000,
            maxEjectionPercent: 50,
            panicThresholdPercent: 0,
          },
        }),
      },
    );
    const before = await callSeries(c.port, 30);
    expect(badTries).toBe(3);
    expect(count(before, (r) => r.status === 500)).toBe(3);
    const ejections = await c.counter('trellis_outlier_ejections_total');
    expect(ejections.map((v) => [v.labels.reason, v.value])).toEqual([['consecutive_5xx', 1]]);
    await new Promise((r) => setTimeout(r, 1_100));
    const after = await callSeries(c.port, 6);
    expect(badTries).toBeGreaterThan(3);
    expect(count(after, (r) => r.status === 500)).toBe(badTries - 3);
  });

  it('answers 503 UO at once when the concurrent-request limit is full', async () => {
    const held: ServerResponse[] = [];
    const c = await mesh([{ ip: '127.0.0.3', handler: (_req, res) => held.push(res) }], {
      destinations: destination({ connectionPool: { ...defaultConnectionPool, maxConcurrentRequests: 2 } }),
    });
    const answered: Reply[] = [];
    const burst = Array.from({ length: 10 }, () =>
      call(c.port).then((r) => {
        answered.push(r);
        return r;
      }),
    );
    // Two reach the app and wait there; the other eight are refused without waiting for them.
    await waitFor(() => held.length === 2 && answered.length === 8, 5_000, 'two held, eight answered');
    expect(answered.every((r) => r.status === 503 && r.headers['x-trellis-response-flags'] === 'UO')).toBe(
      true,
    );
    for (const res of held) res.end('done');
    const all = await Promise.all(burst);
    expect(count(all, (r) => r.status === 200)).toBe(2);
    const open = await c.counter('trellis_circuit_open_total');
    expect(open.map((v) => [v.labels.limit, v.value])).toEqual([['requests', 8]]);
  });

  it('answers 503 UO when a new connection would exceed maxConnections, and closes spent connections', async () => {
    const held: ServerResponse[] = [];
    let connections = 0;
    const apps = await startApps([
      { ip: '127.0.0.3', handler: (req, res) => (req.url === '/hold' ? held.push(res) : res.end('ok')) },
    ]);
    closers.push(apps.close);
    const c = await startClient({
      config: {
        services: [webService(apps.endpoints)],
        policies: {
          destinations: destination({
            connectionPool: { ...defaultConnectionPool, maxConnections: 1, maxRequestsPerConnection: 3 },
          }),
        },
      },
      dst,
    });
    closers.push(c.close);
    const first = call(c.port, { path: '/hold' });
    await waitFor(() => held.length === 1, 3_000, 'the first request at the app');
    // The only connection is busy: the pool would open a second one, which the limit refuses.
    const second = await call(c.port, { path: '/hold' });
    expect([second.status, second.headers['x-trellis-response-flags']]).toEqual([503, 'UO']);
    for (const res of held) res.end('done');
    expect((await first).status).toBe(200);
    const open = await c.counter('trellis_circuit_open_total');
    expect(open.map((v) => [v.labels.limit, v.value])).toEqual([['connections', 1]]);
    // Three requests per connection: six sequential requests need two more connections.
    const server = apps.servers[0];
    server?.on('connection', () => connections++);
    const rs = await callSeries(c.port, 6);
    expect(rs.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(connections).toBe(2);
  });

  it('splits 90/10 across subsets over 2,000 requests', async () => {
    const c = await mesh(
      [
        { ip: '127.0.0.3', labels: { version: 'v1' }, handler: ok('v1') },
        { ip: '127.0.0.4', labels: { version: 'v2' }, handler: ok('v2') },
      ],
      {
        routes: route({ name: 'canary', matches: [], destinations: [to('v1', 90), to('v2', 10)] }),
        destinations: destination({}, ['v1', 'v2']),
      },
    );
    const rs = await callSeries(c.port, 2000);
    const v2 = count(rs, (r) => r.body === 'v2');
    expect(count(rs, (r) => r.body === 'v1') + v2).toBe(2000);
    expect(Math.abs((v2 / 2000) * 100 - 10)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('routes by header and query, first matching rule wins, 404 NR when none does', async () => {
    const c = await mesh(
      [
        { ip: '127.0.0.3', labels: { version: 'v1' }, handler: ok('v1') },
        { ip: '127.0.0.4', labels: { version: 'v2' }, handler: ok('v2') },
      ],
      {
        routes: route(
          {
            name: 'canary-header',
            matches: [{ headers: [{ name: 'x-canary', kind: 'exact', value: 'yes' }] }],
            destinations: [to('v2')],
            requestHeaders: { set: [['x-routed', 'canary']] },
            responseHeaders: { add: [['x-rule', 'canary-header']] },
          },
          {
            name: 'api',
            matches: [
              {
                path: { kind: 'prefix', value: '/api/' },
                queryParams: [{ name: 'v', kind: 'exact', value: '2' }],
              },
            ],
            destinations: [to('v2')],
          },
          {
            name: 'api-rest',
            matches: [{ path: { kind: 'prefix', value: '/api/' } }],
            destinations: [to('v1')],
          },
        ),
        destinations: destination({}, ['v1', 'v2']),
      },
    );
    const canary = await call(c.port, { path: '/api/x', headers: { 'x-canary': 'yes' } });
    expect([canary.body, canary.headers['x-rule']]).toEqual(['v2', 'canary-header']);
    expect((await call(c.port, { path: '/api/x?v=2' })).body).toBe('v2');
    expect((await call(c.port, { path: '/api/x?v=1' })).body).toBe('v1');
    const none = await call(c.port, { path: '/other' });
    expect([none.status, none.headers['x-trellis-response-flags']]).toEqual([404, 'NR']);
  });

  it('edits request headers before forwarding', async () => {
    let seen: string | string[] | undefined;
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: (req, res) => {
            seen = [String(req.headers['x-routed']), String(req.headers['x-drop'])];
            res.end();
          },
        },
      ],
      {
        routes: route({
          name: 'all',
          matches: [],
          destinations: [to()],
          requestHeaders: { set: [['x-routed', 'yes']], remove: ['x-drop'] },
        }),
      },
    );
    await call(c.port, { headers: { 'x-drop': 'secret', 'x-routed': 'no' } });
    expect(seen).toEqual(['yes', 'undefined']);
  });

  it('answers 429 RL with retry-after beyond the configured rate, and admits again after a fill', async () => {
    const c = await mesh([{ ip: '127.0.0.3', handler: ok('ok') }], {
      routes: route({
        name: 'limited',
        matches: [],
        destinations: [to()],
        rateLimit: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 1000, perIdentity: false },
      }),
    });
    const first = await callSeries(c.port, 20);
    expect(count(first, (r) => r.status === 200)).toBe(5);
    const limited = first.filter((r) => r.status === 429);
    expect(limited).toHaveLength(15);
    expect(
      limited.every(
        (r) => r.headers['retry-after'] === '1' && r.headers['x-trellis-response-flags'] === 'RL',
      ),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 1050));
    const next = await callSeries(c.port, 10);
    expect(count(next, (r) => r.status === 200)).toBe(5);
    const rl = await c.counter('trellis_rate_limited_total');
    expect(rl.map((v) => [v.labels.scope, v.value])).toEqual([['route', 20]]);
  });

  it('injects delay and abort faults at their percentages, flagged DI and FI', async () => {
    const c = await mesh(
      [{ ip: '127.0.0.3', handler: ok('ok') }],
      {
        routes: route({
          name: 'chaos',
          matches: [],
          destinations: [to()],
          retries: retries(0, []),
          fault: { delay: { delayMs: 5, percent: 30 }, abort: { httpStatus: 418, percent: 20 } },
        }),
      },
      seeded(7),
      true,
    );
    const rs = await callSeries(c.port, 500);
    const aborted = count(rs, (r) => r.status === 418);
    expect(Math.abs((aborted / 500) * 100 - 20)).toBeLessThanOrEqual(4);
    expect(count(rs, (r) => r.status === 200) + aborted).toBe(500);
    const byFlags = new Map(
      (await c.client.ctx.metrics.requests.get()).values.map((v) => [v.labels.response_flags, v.value]),
    );
    const delayed = (byFlags.get('DI') ?? 0) + (byFlags.get('DI,FI') ?? 0);
    expect(Math.abs((delayed / 500) * 100 - 30)).toBeLessThanOrEqual(4);
    expect((byFlags.get('FI') ?? 0) + (byFlags.get('DI,FI') ?? 0)).toBe(aborted);
    // The access log carries the same flags, one line per request.
    await waitFor(
      () => c.client.logs.lines().filter((l) => l.type === 'access').length === 500,
      3_000,
      'log',
    );
    const logged = c.client.logs.lines().filter((l) => l.type === 'access' && l.flags === 'DI,FI');
    expect(logged.length).toBe(byFlags.get('DI,FI') ?? 0);
    expect(logged.length).toBeGreaterThan(0);
  });

  it('mirrors a copy fire-and-forget: the caller is answered while the mirror still holds every copy', async () => {
    const mirrored: ServerResponse[] = [];
    const hosts: string[] = [];
    const apps = await startApps([
      { ip: '127.0.0.3', handler: ok('main') },
      {
        ip: '127.0.0.4',
        handler: (req, res) => {
          hosts.push(req.headers.host ?? '');
          mirrored.push(res);
        },
      },
    ]);
    closers.push(apps.close);
    const [main, shadow] = apps.endpoints;
    const c = await startClient({
      config: {
        services: [webService(main ? [main] : []), webService(shadow ? [shadow] : [], 'shadow')],
        policies: {
          routes: route({
            name: 'mirrored',
            matches: [],
            destinations: [to()],
            mirror: { namespace: 'shop', service: 'shadow', percent: 100 },
          }),
        },
      },
      dst,
    });
    closers.push(c.close);
    const rs = await callSeries(c.port, 10, { headers: { host: 'web.shop' } });
    expect(rs.map((r) => r.body)).toEqual(Array(10).fill('main'));
    await waitFor(() => mirrored.length === 10, 3_000, 'ten copies at the mirror');
    // Every caller got its answer while no copy had been answered yet.
    expect(hosts).toEqual(Array(10).fill('web.shop-shadow'));
    for (const res of mirrored) res.end();
    const sent = await c.counter('trellis_mirrored_requests_total');
    expect(sent.map((v) => [v.labels.destination_service, v.labels.result, v.value])).toEqual([
      ['shadow.shop', 'sent', 10],
    ]);
  });

  it('answers 504 UT when the route timeout expires, per-try timeouts retried first', async () => {
    let tries = 0;
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: () => {
            tries++;
          },
        },
      ],
      {
        routes: route({
          name: 'slow',
          matches: [],
          destinations: [to()],
          timeoutMs: 450,
          retries: { ...retries(5, ['5xx'], 100), backoff: { baseMs: 0, maxMs: 0 } },
        }),
      },
    );
    const r = await call(c.port);
    expect([r.status, r.headers['x-trellis-response-flags']]).toEqual([504, 'UT']);
    // 100 ms tries inside a 450 ms route timeout: at most five start, and more than one was made.
    expect(tries).toBeGreaterThan(1);
    expect(tries).toBeLessThanOrEqual(5);
  });

  it('retries a POST whose body fits the replay buffer, never one streamed beyond it', async () => {
    const bodies: number[] = [];
    let n = 0;
    const c = await mesh(
      [
        {
          ip: '127.0.0.3',
          handler: (req, res) => {
            let size = 0;
            req.on('data', (d: Buffer) => (size += d.length));
            req.on('end', () => {
              bodies.push(size);
              res.statusCode = n++ % 2 === 0 ? 503 : 200;
              res.end();
            });
          },
        },
      ],
      { routes: route({ name: 'all', matches: [], destinations: [to()], retries: retries(1, ['5xx']) }) },
    );
    const small = await call(c.port, { method: 'POST', body: 'x'.repeat(1000) });
    expect(small.status).toBe(200);
    const big = await call(c.port, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(big.status).toBe(503);
    expect(bodies).toEqual([1000, 1000, 100_000]);
    const stopped = await c.counter('trellis_retries_stopped_total');
    expect(stopped.map((v) => [v.labels.reason, v.value])).toEqual([['body', 1]]);
  });
});

describe('HTTP/2 (gRPC) through the same pipeline', () => {
  it('retries a trailers-only gRPC UNAVAILABLE on another try and relays the good answer with its trailers', async () => {
    const app = h2server();
    let streams = 0;
    app.on('stream', (stream) => {
      streams++;
      if (streams === 1) {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '14' },
          { endStream: true },
        );
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end('reply');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.3', r));
    closers.push(() => app.close());
    const port = (app.address() as { port: number }).port;
    const c = await startClient({
      config: {
        services: [
          webService([{ ip: '127.0.0.3', ports: { http: port }, ready: true, workload: 'grpc', labels: {} }]),
        ],
      },
      dst,
    });
    closers.push(c.close);
    const client = h2connect(`http://127.0.0.1:${c.port}`);
    closers.push(() => client.close());
    const got = await new Promise<{ status: unknown; body: string; trailer: unknown }>((resolve, reject) => {
      const req = client.request({
        ':path': '/pkg.Svc/Call',
        ':method': 'POST',
        'content-type': 'application/grpc',
      });
      let status: unknown;
      let body = '';
      req.on('response', (h) => (status = h[':status']));
      req.on('data', (d: Buffer) => (body += d));
      req.on('trailers', (t) => resolve({ status, body, trailer: t['grpc-status'] }));
      req.on('error', reject);
      req.end('request');
    });
    expect(got).toEqual({ status: 200, body: 'reply', trailer: '0' });
    expect(streams).toBe(2);
    expect((await c.counter('trellis_retries_total')).map((v) => v.value)).toEqual([1]);
  });
});

describe('the pipeline alone, with a recording transport', () => {
  /** A transport that records calls and answers every try 200, so the order of decisions shows. */
  function recorder() {
    const calls: string[] = [];
    const t: Transport = {
      flags: [],
      tryOnce: async (to, _h, timeoutMs, done) => {
        calls.push(`try ${to.host} ${timeoutMs ?? '-'}`);
        done();
        return {
          status: 200,
          grpcStatus: -1,
          failure: 'none',
          flag: '-',
          overflow: 'none',
          commit: () => calls.push('commit'),
          discard: () => calls.push('discard'),
        };
      },
      answer: (status) => calls.push(`answer ${status} ${t.flags.join(',')}`),
      mirror: () => false,
      bodyReplayable: () => true,
      gone: () => false,
    };
    return { t, calls };
  }

  /** A compiled config and a `send` that runs one request through the pipeline against it. */
  function pipeline(policies: TrafficPoliciesInput) {
    const registry = registryOf(
      testConfig({
        services: [
          webService([{ ip: '10.0.0.7', ports: { http: 8080 }, ready: true, workload: 'w', labels: {} }]),
        ],
        policies,
      }),
    );
    const upstream = registry.service('10.96.0.30', 80);
    if (!upstream) throw new Error('no upstream');
    const sleeps: number[] = [];
    const deps = {
      set: registry.policies,
      registry,
      balancers: new Balancers(() => new Balancer()),
      metrics: policyMetrics(createMetrics()),
      random: () => 0,
      now: () => 0,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    };
    const send = async (url = '/') => {
      const { t, calls } = recorder();
      const view = { method: 'GET', ...splitTarget(url), headers: {} };
      const req = { view, upstream, servicePort: 80, callerIdentity: undefined, sourceIp: '10.0.0.9' };
      await runOutbound(deps, req, t);
      return calls;
    };
    return { send, sleeps, budget: () => registry.policies.destination('shop', 'web')?.budget.allowance() };
  }

  const run = async (policies: TrafficPoliciesInput) => {
    const p = pipeline(policies);
    const calls = await p.send();
    return { calls, sleeps: p.sleeps, budgetAllowance: p.budget() };
  };

  it('answers an abort fault after its delay without a try, before the budget counts the request', async () => {
    const r = await run({
      routes: route({
        name: 'chaos',
        matches: [],
        destinations: [to()],
        fault: { delay: { delayMs: 7, percent: 100 }, abort: { httpStatus: 503, percent: 100 } },
      }),
      destinations: destination({}, [], { percent: 100, minRetriesPerSecond: 0, windowMs: 10_000 }),
    });
    expect(r).toEqual({ calls: ['answer 503 DI,FI'], sleeps: [7], budgetAllowance: 0 });
  });

  it('refuses on the rule rate limit before any fault delay', async () => {
    const p = pipeline({
      routes: route({
        name: 'limited',
        matches: [],
        destinations: [to()],
        rateLimit: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 60_000, perIdentity: false },
        fault: { delay: { delayMs: 7, percent: 100 } },
      }),
    });
    expect(await p.send()).toEqual(['try 10.0.0.7 -', 'commit']);
    expect(await p.send()).toEqual(['answer 429 RL']);
    // Only the admitted request was delayed.
    expect(p.sleeps).toEqual([7]);
  });

  it('sends a try with the route timeout when there is no per-try timeout, and commits its answer', async () => {
    const r = await run({
      routes: route({ name: 'timed', matches: [], destinations: [to()], timeoutMs: 250 }),
    });
    expect(r.calls).toEqual(['try 10.0.0.7 250', 'commit']);
  });

  it('answers 503 NR when a split names a subset the destination does not have', async () => {
    const r = await run({ routes: route({ name: 'gone', matches: [], destinations: [to('v9')] }) });
    expect(r.calls).toEqual(['answer 503 NR']);
  });

  it('leaves a per-identity destination limit to the server side', async () => {
    const limit = { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 60_000, perIdentity: true };
    const p = pipeline({ destinations: destination({ rateLimit: limit }) });
    expect([await p.send(), await p.send()]).toEqual([
      ['try 10.0.0.7 -', 'commit'],
      ['try 10.0.0.7 -', 'commit'],
    ]);
  });
});
