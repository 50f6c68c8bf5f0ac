import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { metricPrefix } from '../../api/names.js';
import { type AppMetrics, appMetrics, appMetricsEnv } from '../../api/probe-rewrite.js';

/** The app's own scrape endpoint (`TRELLIS_APP_METRICS`), or undefined when the injector passed none. */
export function parseAppMetrics(env: Record<string, string | undefined>): AppMetrics | undefined {
  const raw = env[appMetricsEnv];
  if (raw === undefined || raw.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`bad environment: ${appMetricsEnv}: not JSON: ${(err as Error).message}`);
  }
  const r = appMetrics.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map(
      (i) => `${[appMetricsEnv, ...i.path.map(String)].join('.')}: ${i.message}`,
    );
    throw new Error(`bad environment: ${issues.join('; ')}`);
  }
  return r.data;
}

export interface ExpositionOptions {
  /** The proxy's own registry; the failure counter is registered in it. */
  registry: Registry;
  app: AppMetrics | undefined;
  /** Where the app is scraped: the pod IP in a pod (where Prometheus would have gone). */
  host: string;
  log: Logger;
  /** Bounds the app's answer so a stuck app cannot stall the proxy's scrape. */
  timeoutMs?: number;
  maxBytes?: number;
}

const defaultTimeoutMs = 5_000;
const defaultMaxBytes = 16 * 1024 * 1024;

/** Fetches the app's exposition as text, or rejects with a one-line reason. */
function fetchText(app: AppMetrics, host: string, timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = (app.scheme === 'https' ? httpsRequest : httpRequest)(
      {
        host,
        port: app.port,
        path: app.path.startsWith('/') ? app.path : `/${app.path}`,
        // The merged answer is Prometheus text 0.0.4, so ask the app for that rather than OpenMetrics.
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' },
        agent: false,
        // Prometheus' own TLS settings for the app are not known here; the hop stays inside the pod.
        rejectUnauthorized: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return fail(new Error(`HTTP ${res.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) return fail(new Error(`answer over ${maxBytes} bytes`));
          chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        res.on('error', fail);
      },
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      req.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('error', fail);
    req.end();
  });
}

/**
 * The `/metrics` body: the proxy's metrics, then the app's. A failed fetch of
 * the app's is counted and logged, and the proxy's metrics are served anyway.
 */
export function createExposition(opts: ExpositionOptions): () => Promise<string> {
  const failures = new Counter({
    name: `${metricPrefix}app_metrics_fetch_failures_total`,
    help: "Failed fetches of the app's own metrics for merging into the proxy's",
    registers: [opts.registry],
  });
  const { app } = opts;
  if (!app) return () => opts.registry.metrics();
  return async () => {
    let appText = '';
    try {
      appText = await fetchText(
        app,
        opts.host,
        opts.timeoutMs ?? defaultTimeoutMs,
        opts.maxBytes ?? defaultMaxBytes,
      );
    } catch (err) {
      // Counted before the registry is read, so this very scrape shows the failure.
      failures.inc();
      opts.log.warn(
        { err: (err as Error).message, port: app.port, path: app.path },
        'app metrics fetch failed',
      );
    }
    const own = await opts.registry.metrics();
    // An OpenMetrics terminator in the middle of a text exposition would end it early for some parsers.
    const appPart = appText.replace(/^# EOF\s*$/m, '').trimEnd();
    return appPart === '' ? own : `${own.endsWith('\n') ? own : `${own}\n`}${appPart}\n`;
  };
}
