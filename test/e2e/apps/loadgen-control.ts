import http from 'node:http';
import { runBatch, type Steady, type Tally } from '../mesh/driver.js';

/**
 * The in-mesh client's control port: how a test (outside the mesh) asks a
 * meshed pod to send traffic, so requests leave through that pod's proxy.
 * - `GET /stats` → the steady traffic's tally; `POST /stats/reset` zeroes it.
 * - `POST /batch` `{ service, path?, headers?, count, concurrency?, timeoutMs? }` → the tally of
 *   `count` requests to the Service (found by its service-link variables).
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
