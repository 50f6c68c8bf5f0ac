import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProbePath, type OriginalProbeInput } from '../../api/probe-rewrite.js';
import { createAppProbeHandler, parseAppProbes } from './app-probes.js';
import { captureLogger } from './testing/log.js';
import { issueLeaf, makeCa } from './testing/pki.js';

const host = '127.0.0.1';
const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
};
const close = (server: Server) => {
  if ('closeAllConnections' in server && typeof server.closeAllConnections === 'function') {
    server.closeAllConnections();
  }
  return new Promise<void>((r) => server.close(() => r()));
};

/** The app: answers by path; /slow never answers (the probe must give up by itself). */
function app(req: IncomingMessage, res: ServerResponse) {
  switch (req.url) {
    case '/ok':
      return res.end('fine');
    case '/moved':
      res.writeHead(302, { location: '/elsewhere' });
      return res.end();
    case '/fail':
      res.writeHead(500);
      return res.end('broken');
    case '/needs-header':
      res.writeHead(req.headers['x-probe'] === 'yes' && req.headers.host === 'app.example' ? 200 : 401);
      return res.end();
    case '/slow':
      return;
    default:
      res.writeHead(404);
      return res.end();
  }
}

/** Reads `HealthCheckRequest.service` from a gRPC frame (short strings only, as the tests send). */
function serviceOf(frame: Buffer): string {
  if (frame.length === 5) return '';
  if (frame[5] !== 0x0a) throw new Error('expected field 1');
  return frame.subarray(7, 7 + (frame[6] ?? 0)).toString('utf8');
}

/** A gRPC health server on h2c, written against the wire format rather than our client's code. */
function grpcHealth(stream: ServerHttp2Stream) {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const service = serviceOf(Buffer.concat(chunks));
    // Never answers: the probe's own deadline must end the call.
    if (service === 'hang') return;
    const statuses: Record<string, number> = { '': 1, orders: 1, billing: 2 };
    const status = statuses[service];
    if (status === undefined) {
      // Trailers-only answer, as grpc-go sends for an unknown service.
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': 5 },
        { endStream: true },
      );
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': 0 }));
    stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
  });
}

describe('app probes', () => {
  const servers: Server[] = [];
  const ports = { http: 0, https: 0, tcp: 0, closed: 0, grpc: 0 };

  beforeAll(async () => {
    const leaf = issueLeaf(makeCa(), 'spiffe://cluster.local/ns/shop/sa/web', { dns: 'localhost' });
    const http = createHttpServer(app);
    const https = createHttpsServer({ cert: leaf.cert, key: leaf.key }, app);
    const tcp = createTcpServer((s) => s.destroy());
    const grpc = createH2Server();
    grpc.on('stream', grpcHealth);
    const gone = createTcpServer();
    servers.push(http, https, tcp, grpc);
    ports.http = await listen(http);
    ports.https = await listen(https);
    ports.tcp = await listen(tcp);
    ports.grpc = await listen(grpc);
    // A port that was just free: nothing listens there.
    ports.closed = await listen(gone);
    await close(gone);
  });
  afterAll(async () => {
    await Promise.all(servers.map(close));
  });

  const run = async (probe: OriginalProbeInput) => {
    const path = appProbePath('web', 'readiness');
    const probes = parseAppProbes({ TRELLIS_APP_PROBES: JSON.stringify({ [path]: probe }) });
    return createAppProbeHandler(probes, { host, log: captureLogger().log })(path);
  };

  it('passes an httpGet probe on 2xx and 3xx, fails it on 500 naming the status', async () => {
    expect(await run({ httpGet: { port: ports.http, path: '/ok' } })).toEqual({ status: 200, body: 'ok\n' });
    expect((await run({ httpGet: { port: ports.http, path: '/moved' } })).status).toBe(200);
    expect(await run({ httpGet: { port: ports.http, path: '/fail' } })).toEqual({
      status: 503,
      body: 'app probe failed: HTTP 500\n',
    });
  });

  it("sends the probe's headers (Host included)", async () => {
    expect((await run({ httpGet: { port: ports.http, path: '/needs-header' } })).status).toBe(503);
    const probe = {
      httpGet: {
        port: ports.http,
        path: '/needs-header',
        httpHeaders: [
          { name: 'X-Probe', value: 'yes' },
          { name: 'Host', value: 'app.example' },
        ],
      },
    };
    expect((await run(probe)).status).toBe(200);
  });

  it('fails, rather than throws, on a header node refuses to send', async () => {
    const answer = await run({
      httpGet: { port: ports.http, path: '/ok', httpHeaders: [{ name: 'X-Bad', value: 'a\nb' }] },
    });
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('Invalid character in header content');
  });

  it('speaks HTTPS without verifying the certificate, as the kubelet does', async () => {
    expect((await run({ httpGet: { port: ports.https, path: '/ok', scheme: 'HTTPS' } })).status).toBe(200);
    // Plain HTTP to the TLS port is not a pass.
    expect((await run({ httpGet: { port: ports.https, path: '/ok' } })).status).toBe(503);
  });

  it('gives up on an app slower than timeoutSeconds', async () => {
    const answer = await run({ httpGet: { port: ports.http, path: '/slow' }, timeoutSeconds: 1 });
    expect(answer).toEqual({ status: 503, body: 'app probe failed: timed out after 1000 ms\n' });
  });

  it('passes a tcpSocket probe on a listening port and fails it on a closed one', async () => {
    expect((await run({ tcpSocket: { port: ports.tcp } })).status).toBe(200);
    const closed = await run({ tcpSocket: { port: ports.closed } });
    expect(closed.status).toBe(503);
    expect(closed.body).toContain('ECONNREFUSED');
  });

  it('uses the host the probe names over the default', async () => {
    const path = appProbePath('web', 'liveness');
    const probes = parseAppProbes({
      TRELLIS_APP_PROBES: JSON.stringify({ [path]: { tcpSocket: { port: ports.tcp, host } } }),
    });
    // The default host is unroutable by design (TEST-NET-1): only the probe's own host can pass.
    const answer = await createAppProbeHandler(probes, { host: '192.0.2.1', log: captureLogger().log })(path);
    expect(answer.status).toBe(200);
  });

  it('checks gRPC health: SERVING passes, NOT_SERVING and an unknown service fail', async () => {
    expect((await run({ grpc: { port: ports.grpc } })).status).toBe(200);
    expect((await run({ grpc: { port: ports.grpc, service: 'orders' } })).status).toBe(200);
    expect(await run({ grpc: { port: ports.grpc, service: 'billing' } })).toEqual({
      status: 503,
      body: 'app probe failed: health status NOT_SERVING\n',
    });
    expect(await run({ grpc: { port: ports.grpc, service: 'nope' } })).toEqual({
      status: 503,
      body: 'app probe failed: grpc-status 5\n',
    });
    expect((await run({ grpc: { port: ports.closed } })).status).toBe(503);
  });

  it('gives up on a gRPC health check slower than timeoutSeconds', async () => {
    expect(await run({ grpc: { port: ports.grpc, service: 'hang' }, timeoutSeconds: 1 })).toEqual({
      status: 503,
      body: 'app probe failed: timed out after 1000 ms\n',
    });
  });

  it('fails a gRPC probe against a server that is not gRPC', async () => {
    const answer = await run({ grpc: { port: ports.http } });
    expect(answer.status).toBe(503);
  });

  it('answers 404 for a path with no probe', async () => {
    const handler = createAppProbeHandler({}, { host, log: captureLogger().log });
    expect(await handler('/app-health/web/livez')).toEqual({
      status: 404,
      body: 'no app probe at /app-health/web/livez\n',
    });
    expect((await handler('/app-health/constructor')).status).toBe(404);
  });
});

describe('parseAppProbes', () => {
  it('reads nothing when the variable is unset or empty', () => {
    expect(parseAppProbes({})).toEqual({});
    expect(parseAppProbes({ TRELLIS_APP_PROBES: '' })).toEqual({});
  });

  it('applies the contract defaults', () => {
    const probes = parseAppProbes({
      TRELLIS_APP_PROBES: JSON.stringify({ '/app-health/web/livez': { httpGet: { port: 8080 } } }),
    });
    expect(probes['/app-health/web/livez']).toEqual({
      httpGet: { port: 8080, path: '/', scheme: 'HTTP', httpHeaders: [] },
      timeoutSeconds: 1,
    });
  });

  it('names the variable when it is not JSON', () => {
    expect(() => parseAppProbes({ TRELLIS_APP_PROBES: '{nope' })).toThrow(
      /^bad environment: TRELLIS_APP_PROBES: not JSON/,
    );
  });

  it('names the bad field', () => {
    const bad = JSON.stringify({ '/app-health/web/livez': { tcpSocket: { port: 70000 } } });
    expect(() => parseAppProbes({ TRELLIS_APP_PROBES: bad })).toThrow(
      /TRELLIS_APP_PROBES\.\/app-health\/web\/livez/,
    );
    const wrongKey = JSON.stringify({ '/healthz': { tcpSocket: { port: 80 } } });
    expect(() => parseAppProbes({ TRELLIS_APP_PROBES: wrongKey })).toThrow(/TRELLIS_APP_PROBES\.\/healthz/);
  });
});
