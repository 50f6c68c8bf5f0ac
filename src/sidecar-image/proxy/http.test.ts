import { Agent, createServer } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startPair } from './testing/pair.js';
import { callBytes as get } from './testing/policy-client.js';
import { waitFor } from './testing/wait.js';

/** Writes raw bytes and returns everything the proxy answers before closing. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => {});
  });
}

describe('HTTP/1.1 through a proxy pair', () => {
  const pairs: { close: () => void }[] = [];
  afterEach(() => {
    for (const p of pairs.splice(0)) p.close();
  });

  it('proxies keep-alive requests per request over one pooled mTLS connection, with golden metrics', async () => {
    const hosts: string[] = [];
    const pair = await startPair({
      app: (req, res) => {
        hosts.push(req.headers.host ?? '');
        res.end(`hello ${req.url}`);
      },
    });
    pairs.push(pair);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) {
      const r = await get(pair.port, { path: `/n/${i}`, agent, headers: { host: 'web.shop' } });
      expect([r.status, r.body.toString()]).toEqual([200, `hello /n/${i}`]);
    }
    agent.destroy();
    expect(hosts).toEqual(Array(20).fill('web.shop'));
    expect(pair.peerConnections()).toBe(1);
    const out = (await pair.client.ctx.metrics.requests.get()).values;
    expect(out).toEqual([
      {
        value: 20,
        labels: {
          direction: 'outbound',
          source_workload: 'pod-a',
          source_namespace: 'shop',
          destination_service: 'web.shop',
          destination_workload: 'web',
          tls: 'mtls',
          response_code: '200',
          response_flags: '-',
        },
      },
    ]);
    const inn = (await pair.server.ctx.metrics.requests.get()).values;
    expect(inn.map((v) => [v.labels.direction, v.labels.tls, v.labels.response_code, v.value])).toEqual([
      ['inbound', 'mtls', '200', 20],
    ]);
    const hist = (await pair.client.ctx.metrics.requestDuration.get()).values.find(
      (v) => v.metricName === 'trellis_request_duration_seconds_count',
    );
    expect(hist?.value).toBe(20);
  });

  it('reuses a pooled peer connection for requests from separate client connections', async () => {
    const pair = await startPair({ app: (req, res) => res.end(`hello ${req.url}`) });
    pairs.push(pair);
    for (let i = 0; i < 3; i++) {
      const agent = new Agent({ keepAlive: false });
      const r = await get(pair.port, { path: `/c/${i}`, agent });
      expect(r.body.toString()).toBe(`hello /c/${i}`);
    }
    expect(pair.peerConnections()).toBe(1);
  });

  it('carries concurrent requests from many client connections as streams of one trellis-mux link', async () => {
    let inFlight = 0;
    let most = 0;
    const pair = await startPair({
      app: (req, res) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // Answered a little later, so the requests are at the app together.
        setTimeout(() => {
          inFlight--;
          res.end(`hello ${req.url}`);
        }, 50);
      },
    });
    pairs.push(pair);
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        get(pair.port, { path: `/m/${i}`, agent: new Agent({ keepAlive: false }) }),
      ),
    );
    expect(replies.map((r) => r.body.toString())).toEqual(
      Array.from({ length: 12 }, (_, i) => `hello /m/${i}`),
    );
    expect(most).toBe(12);
    expect(pair.peerConnections()).toBe(1);
  });

  it('streams a request body up and the response down, counting bytes', async () => {
    const pair = await startPair({ app: (req, res) => req.pipe(res) });
    pairs.push(pair);
    const body = Buffer.alloc(1 << 20, 7);
    const r = await get(pair.port, { method: 'POST', body });
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
    const bytes = (await pair.client.ctx.metrics.requestBytes.get()).values[0]?.value;
    const back = (await pair.client.ctx.metrics.responseBytes.get()).values[0]?.value;
    expect([bytes, back]).toEqual([1 << 20, 1 << 20]);
  });

  it('joins the caller trace and adds each proxy span, in W3C and B3', async () => {
    let seen: Record<string, string | string[] | undefined> = {};
    const pair = await startPair({
      app: (req, res) => {
        seen = req.headers;
        res.end();
      },
    });
    pairs.push(pair);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await get(pair.port, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(seen.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(seen['x-b3-traceid']).toBe(traceId);
    // Two proxy spans: the server proxy's parent is the client proxy's span, not the caller's.
    expect(seen['x-b3-parentspanid']).toMatch(/^[0-9a-f]{16}$/);
    expect(seen['x-b3-parentspanid']).not.toBe('00f067aa0ba902b7');
  });

  it('exports the proxy span over OTLP/HTTP when an endpoint is configured', async () => {
    const received: { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }[] = [];
    const collector = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}/v1/traces`;
    const pair = await startPair({
      app: (_req, res) => res.end('x'),
      config: {
        telemetry: { accessLog: { enabled: false }, tracing: { samplingPercent: 0, otlpEndpoint: endpoint } },
      },
    });
    pairs.push(pair, { close: () => collector.close() });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await get(pair.port, { path: '/traced', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    await get(pair.port, {
      path: '/unsampled',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` },
    });
    await waitFor(() => received.length > 0, 3_000, 'span export');
    const spans = received.flatMap((b) =>
      b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      traceId,
      parentSpanId: '00f067aa0ba902b7',
      name: 'web.shop',
      kind: 3,
      status: { code: 1 },
    });
  });

  it('answers malformed requests 400, oversized heads 431 and slow heads 408', async () => {
    const pair = await startPair({
      app: (_req, res) => res.end('ok'),
      limits: { headersTimeoutMs: 300, keepAliveTimeoutMs: 5_000, maxHeadBytes: 1_024 },
    });
    pairs.push(pair);
    expect(await raw(pair.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(await raw(pair.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2_000)}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431 /,
    );
    const t0 = Date.now();
    expect(await raw(pair.port, 'GET / HTTP/1.1\r\nHost: x\r\n')).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const errors = (await pair.client.ctx.metrics.httpClientErrors.get()).values.map((v) => [
      v.labels.response_code,
      v.value,
    ]);
    expect(errors.sort()).toEqual([
      ['400', 1],
      ['408', 1],
      ['431', 1],
    ]);
  });

  it('answers 502 with response flag UC when the upstream resets, and keeps serving', async () => {
    const pair = await startPair({
      app: (req, res) => {
        if (req.url === '/reset') req.socket.resetAndDestroy();
        else res.end('fine');
      },
    });
    pairs.push(pair);
    const r = await get(pair.port, { path: '/reset' });
    expect([r.status, r.headers['x-trellis-response-flags']]).toEqual([502, 'UC']);
    expect((await get(pair.port, { path: '/ok' })).body.toString()).toBe('fine');
    // The server pod's proxy saw the reset; the client pod's proxy relays its 502 and flag header.
    const byFlag = (await pair.server.ctx.metrics.requests.get()).values.map((v) => [
      v.labels.response_code,
      v.labels.response_flags,
      v.value,
    ]);
    expect(byFlag).toEqual([
      ['502', 'UC', 1],
      ['200', '-', 1],
    ]);
  });

  it('answers 503 with flags UF,URX when the endpoint cannot be reached, after the default retries', async () => {
    const pair = await startPair({ app: (_req, res) => res.end(), endpointPort: 1 });
    pairs.push(pair);
    const r = await get(pair.port);
    expect([r.status, r.headers['x-trellis-response-flags']]).toEqual([503, 'UF,URX']);
    // The default policy retries a connect failure twice: three tries, two of them retries.
    const retries = await pair.client.ctx.metrics.registry.getSingleMetric('trellis_retries_total')?.get();
    expect(retries?.values.map((v) => v.value)).toEqual([2]);
  });

  it('answers 502 NR for an unknown destination under REGISTRY_ONLY', async () => {
    const pair = await startPair({
      app: (_req, res) => res.end(),
      config: { outboundTrafficPolicy: 'REGISTRY_ONLY', services: [] },
    });
    pairs.push(pair);
    const r = await get(pair.port);
    expect([r.status, r.headers['x-trellis-response-flags']]).toEqual([502, 'NR']);
  });

  it('carries a WebSocket-style Upgrade end to end', async () => {
    const pair = await startPair({
      app: (_req, res) => res.end(),
      onAppServer: (s) =>
        s.on('upgrade', (req, socket) => {
          socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`,
          );
          socket.pipe(socket);
        }),
    });
    pairs.push(pair);
    const s = connect(pair.port, '127.0.0.1');
    s.write('GET /ws HTTP/1.1\r\nHost: web\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    await waitFor(() => got.includes('\r\n\r\n'), 3_000, '101');
    expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nUpgrade: websocket/);
    got = '';
    s.write('frame-bytes');
    await waitFor(() => got === 'frame-bytes', 3_000, 'echo');
    s.destroy();
  });

  it('writes a JSON access log line per request when enabled', async () => {
    const pair = await startPair({
      app: (_req, res) => res.end('x'),
      config: { telemetry: { accessLog: { enabled: true }, tracing: { samplingPercent: 100 } } },
    });
    pairs.push(pair);
    await get(pair.port, { path: '/logged' });
    await waitFor(() => pair.client.logs.lines().some((l) => l.type === 'access'), 2_000, 'access log');
    expect(pair.client.logs.lines().find((l) => l.type === 'access')).toMatchObject({
      direction: 'outbound',
      method: 'GET',
      path: '/logged',
      status: '200',
      flags: '-',
      destination: 'web.shop',
      responseBytes: 1,
    });
  });
});
