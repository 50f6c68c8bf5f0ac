import http from 'node:http';
import net from 'node:net';
import { emptyTally, runBatch, type Steady, type Tally } from '../mesh/driver.js';

/**
 * The in-mesh client's control port: how a test (outside the mesh) asks a
 * meshed pod to send traffic, so requests leave through that pod's proxy.
 * - `GET /stats` → the steady traffic's tally; `POST /stats/reset` zeroes it.
 * - `POST /batch` `{ service, path?, headers?, count, concurrency?, timeoutMs? }` → the tally of
 *   `count` requests to the Service (found by its service-link variables).
 * - `POST /tcp` `{ service, message, count }` → `count` TCP connections to the Service, each sending
 *   `message` and counted ok when exactly the same bytes come back (for the TCP echo).
 * The port is excluded from inbound capture, so the test reaches it even under STRICT.
 */
export interface BatchRequest {
  service: string;
  path: string;
  headers: Record<string, string>;
  count: number;
  concurrency: number;
  timeoutMs: number;
}

const limits = { count: 10_000, concurrency: 100, timeoutMs: 60_000 };

/** A `/batch` body checked field by field; throws with the first bad field named. */
export function parseBatch(body: unknown): BatchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error('body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.service !== 'string' || !/^[a-z0-9-]{1,63}$/.test(b.service))
    throw new Error('service must be a Service name');
  const path = b.path ?? '/';
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error('path must start with /');
  const headers = b.headers ?? {};
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    !Object.values(headers).every((v) => typeof v === 'string')
  )
    throw new Error('headers must map names to strings');
  const int = (name: keyof typeof limits, fallback?: number) => {
    const value = b[name] ?? fallback;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > limits[name])
      throw new Error(`${name} must be a whole number from 1 to ${limits[name]}`);
    return value as number;
  };
  return {
    service: b.service,
    path,
    headers: headers as Record<string, string>,
    count: int('count'),
    concurrency: int('concurrency', 1),
    timeoutMs: int('timeoutMs', 10_000),
  };
}

export interface TcpRequest {
  service: string;
  message: string;
  count: number;
}

/** A `/tcp` body checked field by field; throws with the first bad field named. */
export function parseTcp(body: unknown): TcpRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error('body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.service !== 'string' || !/^[a-z0-9-]{1,63}$/.test(b.service))
    throw new Error('service must be a Service name');
  if (typeof b.message !== 'string' || b.message.length === 0 || b.message.length > 65_536)
    throw new Error('message must be 1 to 65536 characters');
  if (!Number.isInteger(b.count) || (b.count as number) < 1 || (b.count as number) > 100)
    throw new Error('count must be a whole number from 1 to 100');
  return { service: b.service, message: b.message, count: b.count as number };
}

/** One connection: send, half-close, read to the end; resolves with what came back. Bounded by `timeoutMs`. */
export function echoOnce(host: string, port: number, message: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let got = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('timed out')));
    socket.on('connect', () => socket.end(message));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      got += chunk;
    });
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
  });
}

/** `count` echo connections one after another, tallied: ok when the bytes came back unchanged. */
export async function runTcp(req: TcpRequest, host: string, port: number): Promise<Tally> {
  const tally = emptyTally();
  for (let i = 0; i < req.count; i++) {
    tally.total += 1;
    try {
      const got = await echoOnce(host, port, req.message);
      if (got === req.message) tally.ok += 1;
      else {
        tally.failed += 1;
        tally.errors[`echoed ${got.length} bytes of ${req.message.length}`] =
          (tally.errors[`echoed ${got.length} bytes of ${req.message.length}`] ?? 0) + 1;
      }
    } catch (err) {
      tally.failed += 1;
      tally.errors[String(err)] = (tally.errors[String(err)] ?? 0) + 1;
    }
  }
  return tally;
}

export interface ControlDeps {
  /** The base URL of a Service; throws when it cannot be found. */
  serviceUrl: (service: string) => string;
  steady?: Steady;
}

export function createControlServer(deps: ControlDeps): http.Server {
  const send = (
    res: http.ServerResponse,
    status: number,
    body: Tally | { error: string } | { reset: true },
  ) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/stats') {
        if (!deps.steady) return send(res, 404, { error: 'no steady traffic (RATE is 0)' });
        return send(res, 200, deps.steady.tally());
      }
      if (req.method === 'POST' && req.url === '/stats/reset') {
        deps.steady?.reset();
        return send(res, 200, { reset: true });
      }
      if (req.method === 'POST' && req.url === '/tcp') {
        let tcp: TcpRequest;
        let target: URL;
        try {
          tcp = parseTcp(JSON.parse(text));
          target = new URL(deps.serviceUrl(tcp.service));
        } catch (err) {
          return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
        }
        runTcp(tcp, target.hostname, Number(target.port)).then((tally) => send(res, 200, tally));
        return;
      }
      if (req.method === 'POST' && req.url === '/batch') {
        let batch: BatchRequest;
        let base: string;
        try {
          batch = parseBatch(JSON.parse(text));
          base = deps.serviceUrl(batch.service);
        } catch (err) {
          return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
        }
        runBatch({ ...batch, url: new URL(batch.path, base).href }).then((tally) => send(res, 200, tally));
        return;
      }
      send(res, 404, { error: `no ${req.method} ${req.url}` });
    });
  });
}
