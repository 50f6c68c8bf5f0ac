import http from 'node:http';
import { envName } from '../node-agent/service-links.js';

/**
 * One tier of the sample shop (frontend → orders → payments): answers with
 * who it is and, when it has an upstream, what the upstream answered, so a
 * client sees the whole chain (and which payments version served it).
 * Knobs for the scenarios: a share of requests that fail, and a delay.
 */
export interface ServiceOptions {
  /** The Service this app stands for, echoed in every answer. */
  name: string;
  version: string;
  pod: string;
  port: number;
  /** The next hop's Service name, found through its service-link variables. */
  upstream?: string;
  /** 0–100: this share of requests answers 500, spread evenly (exactly n in every 100). */
  failPercent: number;
  delayMs: number;
}

export interface Reply {
  service: string;
  version: string;
  pod: string;
  upstream?: Reply;
  error?: string;
}

const percent = (text: string | undefined, name: string, fallback: number) => {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 100)
    throw new Error(`${name} must be a number from 0 to 100, got "${text}"`);
  return value;
};

const nonNegativeInt = (text: string | undefined, name: string, fallback: number) => {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number ≥ 0, got "${text}"`);
  return value;
};

/** The options from the container's environment over the main's defaults; a bad value throws naming it. */
export function optionsFromEnv(
  defaults: Partial<ServiceOptions> & { name: string },
  env: NodeJS.ProcessEnv,
): ServiceOptions {
  const upstream = env.UPSTREAM ?? defaults.upstream;
  const port = nonNegativeInt(env.PORT, 'PORT', defaults.port ?? 8080);
  if (port < 1 || port > 65535) throw new Error(`PORT must be 1–65535, got "${env.PORT}"`);
  return {
    name: env.SERVICE_NAME ?? defaults.name,
    version: env.VERSION ?? defaults.version ?? 'v1',
    pod: env.POD_NAME ?? env.HOSTNAME ?? '',
    port,
    ...(upstream ? { upstream } : {}),
    failPercent: percent(env.FAIL_PERCENT, 'FAIL_PERCENT', defaults.failPercent ?? 0),
    delayMs: nonNegativeInt(env.DELAY_MS, 'DELAY_MS', defaults.delayMs ?? 0),
  };
}

/** `http://<ClusterIP>:<port>` of a Service from its service-link variables; throws when they are missing. */
export function upstreamUrl(service: string, env: NodeJS.ProcessEnv): string {
  const name = envName(service);
  const host = env[`${name}_SERVICE_HOST`];
  const port = env[`${name}_SERVICE_PORT`];
  if (!host || !port) {
    throw new Error(
      `no ${name}_SERVICE_HOST/${name}_SERVICE_PORT: create Service "${service}" before this pod`,
    );
  }
  return `http://${host}:${port}`;
}

/** Whether the n-th request fails: exactly `percent` of every 100 consecutive requests, spread out. */
export function failureSchedule(percent: number): () => boolean {
  let count = 0;
  return () => {
    count += 1;
    return Math.floor((count * percent) / 100) > Math.floor(((count - 1) * percent) / 100);
  };
}

/** Request headers a tier passes on to its upstream: the test's steering (`x-…`) and the trace. */
export function propagated(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    if (
      (key.startsWith('x-') && !key.startsWith('x-trellis-')) ||
      key === 'traceparent' ||
      key.startsWith('x-b3-')
    )
      out[key] = value;
  }
  return out;
}

/** The HTTP server of one tier. `upstreamBase` is the upstream's URL, when the tier has one. */
export function createService(opts: ServiceOptions, upstreamBase?: string): http.Server {
  const fails = failureSchedule(opts.failPercent);
  const me = { service: opts.name, version: opts.version, pod: opts.pod };
  const send = (res: http.ServerResponse, status: number, body: Reply) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return http.createServer((req, res) => {
    req.resume();
    if (req.url === '/healthz') return send(res, 200, me);
    if (fails()) return send(res, 500, { ...me, error: 'failing on purpose (FAIL_PERCENT)' });
    const answer = async () => {
      if (opts.delayMs > 0) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (!upstreamBase) return send(res, 200, me);
      try {
        const upstream = await fetch(new URL(req.url ?? '/', upstreamBase), {
          headers: propagated(req.headers),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await upstream.json().catch(() => ({}))) as Reply;
        if (upstream.ok) return send(res, 200, { ...me, upstream: body });
        // As an app would: a failed dependency (a 5xx, or a 403 from the mesh's authorization) is a 502 of ours.
        send(res, 502, {
          ...me,
          upstream: body,
          error: `upstream ${opts.upstream} answered ${upstream.status}`,
        });
      } catch (err) {
        send(res, 502, { ...me, error: `upstream ${opts.upstream}: ${String(err)}` });
      }
    };
    void answer();
  });
}

/** A main: options from the environment, listen, finish in-flight requests on SIGTERM. */
export function runService(defaults: Partial<ServiceOptions> & { name: string }): void {
  const opts = optionsFromEnv(defaults, process.env);
  const upstreamBase = opts.upstream ? upstreamUrl(opts.upstream, process.env) : undefined;
  const server = createService(opts, upstreamBase);
  server.listen(opts.port, () =>
    console.log(
      `${opts.name} ${opts.version} listening on ${opts.port}${upstreamBase ? `, upstream ${upstreamBase}` : ''}`,
    ),
  );
  process.once('SIGTERM', () => {
    console.log('SIGTERM received');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
