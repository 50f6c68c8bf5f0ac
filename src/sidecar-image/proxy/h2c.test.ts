import { type Http2Server, connect as h2connect, createServer as h2server } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { listen } from './testing/harness.js';
import { startPair } from './testing/pair.js';

/**
 * h2c (and so gRPC) from the app: detected by its preface and proxied per
 * stream, multiplexed over one mTLS connection between the proxies.
 */
describe('h2c through a proxy pair', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('closes an idle client connection', async () => {
    const app: Http2Server = h2server();
    app.on('stream', (stream) => stream.respond({ ':status': 204 }, { endStream: true }));
    const appPort = await listen(app);
    closers.push(() => app.close());
    const pair = await startPair({ app: (_req, res) => res.end(), appPort, h2IdleMs: 200 });
    closers.push(pair.close);
    const client = h2connect(`http://127.0.0.1:${pair.port}`);
    const goaway = new Promise<boolean>((r) => client.once('goaway', () => r(true)));
    await new Promise<void>((resolve, reject) => {
      const req = client.request({ ':path': '/' });
      req.on('response', () => resolve());
      req.on('error', reject);
      req.end();
    });
    const t0 = Date.now();
    expect(await goaway).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_000);
    client.close();
  });

  it('answers 503 UF for a stream whose endpoint cannot be reached', async () => {
    const pair = await startPair({ app: (_req, res) => res.end(), endpointPort: 1 });
    closers.push(pair.close);
    const client = h2connect(`http://127.0.0.1:${pair.port}`);
    closers.push(() => client.close());
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = client.request({ ':path': '/' });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    // After the default policy's two retries on connect failure.
    expect([headers[':status'], headers['x-trellis-response-flags']]).toEqual([503, 'UF,URX']);
  });

  it('proxies concurrent h2c streams per request over one peer connection, gRPC trailers included', async () => {
    const seen: string[] = [];
    const app: Http2Server = h2server();
    app.on('stream', (stream, headers) => {
      seen.push(String(headers.traceparent ?? ''));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(`echo ${headers[':path']}`);
    });
    const appPort = await listen(app);
    closers.push(() => app.close());
    // The pair's own HTTP/1 app is unused: the server proxy's original destination is the h2c app.
    const pair = await startPair({ app: (_req, res) => res.end(), appPort });
    closers.push(pair.close);

    const client = h2connect(`http://127.0.0.1:${pair.port}`);
    closers.push(() => client.close());
    const call = (path: string) =>
      new Promise<{ body: string; trailers: Record<string, unknown> }>((resolve, reject) => {
        const req = client.request({ ':path': path, ':method': 'POST', 'content-type': 'application/grpc' });
        let body = '';
        let trailers: Record<string, unknown> = {};
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('trailers', (t) => (trailers = t));
        req.on('end', () => resolve({ body, trailers }));
        req.on('error', reject);
        req.end();
      });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => call(`/svc/Method${i}`)));
    expect(results.map((r) => r.body)).toEqual(Array.from({ length: 10 }, (_, i) => `echo /svc/Method${i}`));
    expect(results.every((r) => r.trailers['grpc-status'] === '0')).toBe(true);
    expect(seen.every((t) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(t))).toBe(true);
    // A stream opened after the first ones finished rides the same connections.
    expect((await call('/svc/Later')).body).toBe('echo /svc/Later');
    const per = async (ctx: typeof pair.client.ctx) =>
      (await ctx.metrics.requests.get()).values.map((v) => [
        v.labels.direction,
        v.labels.tls,
        v.labels.response_code,
        v.value,
      ]);
    expect(await per(pair.client.ctx)).toEqual([['outbound', 'mtls', '200', 11]]);
    expect(await per(pair.server.ctx)).toEqual([['inbound', 'mtls', '200', 11]]);
    expect(pair.peerConnections()).toBe(1);
  });
});
