// One proxy of the bench/h1 engine comparison:
// `engine-node.ts MODE ROLE LISTEN_PORT TARGET_PORT DIR` with MODE `engine` (src/sidecar-image/proxy/h1)
// or `node` (node's http server and a keep-alive http(s).Agent, the design the proxy uses today),
// ROLE `client` (plaintext in on 127.0.0.1, mTLS out to TARGET) or `server` (mTLS in, plaintext
// out to TARGET on 127.0.0.1). Both modes do the same per-request work besides HTTP: the golden
// metrics (metrics.ts) and trace propagation (trace.ts). DIR holds ca.crt and client/server.crt/.key.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { serveH1 } from '../../src/sidecar-image/proxy/h1/forward.js';
import { endToEndFields, type RequestHead, requestHeadBytes } from '../../src/sidecar-image/proxy/h1/head.js';
import { UpstreamPool } from '../../src/sidecar-image/proxy/h1/pool.js';
import { createMetrics, type RequestLabels } from '../../src/sidecar-image/proxy/metrics.js';
import { alpn, requireSpiffeId } from '../../src/sidecar-image/proxy/mtls.js';
import { joinTrace, traceHeaders } from '../../src/sidecar-image/proxy/trace.js';

const [mode = 'engine', role = 'client', listenPort = '0', targetPort = '0', dir = '.'] =
  process.argv.slice(2);
const file = (n: string) => readFileSync(`${dir}/${n}`);
const me = role === 'client' ? 'client' : 'server';
const tlsOptions = {
  cert: file(`${me}.crt`),
  key: file(`${me}.key`),
  ca: file('ca.crt'),
  minVersion: 'TLSv1.3' as const,
};
const peerId = 'spiffe://cluster.local/ns/bench/sa/server';
const metrics = createMetrics();
const labels = {
  direction: role === 'client' ? 'outbound' : 'inbound',
  source_workload: 'client',
  source_namespace: 'bench',
  destination_service: 'upstream.bench',
  destination_workload: 'server',
  tls: 'mtls',
};
const traceNames = new Set([
  'traceparent',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
]);

function record(status: number, flag: string, startedMs: number, reqBytes: number, resBytes: number) {
  const l: RequestLabels = { ...labels, response_code: String(status), response_flags: flag };
  metrics.requests.inc(l);
  metrics.requestDuration.observe(l, (performance.now() - startedMs) / 1000);
  metrics.requestBytes.inc(l, reqBytes);
  metrics.responseBytes.inc(l, resBytes);
}

/** An outgoing connection: mTLS to the peer proxy (client role) or plaintext to the app. */
function open(): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s: Duplex =
      role === 'client'
        ? tlsConnect({
            ...tlsOptions,
            host: '127.0.0.1',
            port: Number(targetPort),
            servername: '',
            ALPNProtocols: [alpn.http1],
            checkServerIdentity: requireSpiffeId(peerId),
          })
        : netConnect({ host: '127.0.0.1', port: Number(targetPort), noDelay: true });
    s.once(role === 'client' ? 'secureConnect' : 'connect', () => {
      s.off('error', reject);
      if (role === 'client') (s as TLSSocket).setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function listen(handle: (s: Duplex) => void) {
  const onSocket = (s: Duplex) => {
    (s as TLSSocket).setNoDelay(true);
    handle(s);
  };
  const server =
    role === 'client'
      ? createNetServer({ noDelay: true }, onSocket)
      : createTlsServer(
          { ...tlsOptions, requestCert: true, rejectUnauthorized: true, ALPNProtocols: [alpn.http1] },
          onSocket,
        );
  server.listen(Number(listenPort), '127.0.0.1');
}

if (mode === 'engine') {
  const pool = new UpstreamPool(open, { maxIdle: 32, maxActive: 32 });
  listen((socket) =>
    serveH1(socket, {
      acquire: () => pool.acquire(),
      release: (up, reusable) => pool.release(up, reusable),
      requestHead: (head: RequestHead) => {
        const span = joinTrace(Object.fromEntries(pairs(head.headers)), 0);
        const fields = endToEndFields(head.headers, traceNames);
        for (const [k, v] of Object.entries(traceHeaders(span))) fields.push(k, v);
        return requestHeadBytes(head, fields);
      },
      onExchange: (e) => record(e.status, e.flag, e.startedMs, e.requestBytes, e.responseBytes),
    }),
  );
} else {
  const agent =
    role === 'client'
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: 32,
          ...tlsOptions,
          servername: '',
          ALPNProtocols: [alpn.http1],
          checkServerIdentity: requireSpiffeId(peerId),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const server = createHttpServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
    const started = performance.now();
    const span = joinTrace(req.headers, 0);
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      if (!traceNames.has(name.toLowerCase()) && name.toLowerCase() !== 'connection')
        headers.push(name, req.rawHeaders[i + 1] ?? '');
    }
    for (const [k, v] of Object.entries(traceHeaders(span))) headers.push(k, v);
    let reqBytes = 0;
    let resBytes = 0;
    req.on('data', (c: Buffer) => (reqBytes += c.length));
    const up = (role === 'client' ? httpsRequest : httpRequest)({
      agent,
      host: '127.0.0.1',
      port: Number(targetPort),
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
    });
    up.on('response', (r) => {
      res.writeHead(
        r.statusCode ?? 502,
        r.rawHeaders.filter((_, i, a) => (i % 2 === 0 ? a[i] : a[i - 1])?.toLowerCase() !== 'connection'),
      );
      r.on('data', (c: Buffer) => (resBytes += c.length));
      r.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.once('close', () => record(res.statusCode, '-', started, reqBytes, resBytes));
    req.pipe(up);
  });
  listen((socket) => server.emit('connection', socket));
}

function* pairs(raw: string[]): Generator<[string, string]> {
  for (let i = 0; i < raw.length; i += 2) yield [(raw[i] ?? '').toLowerCase(), raw[i + 1] ?? ''];
}

// A clean exit on SIGTERM, so --cpu-prof and --heap-prof write their profiles.
process.once('SIGTERM', () => process.exit(0));
