import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { adminPaths } from '../../api/probe-rewrite.js';
import type { ProbeAnswer } from './app-probes.js';
import type { ConfigStore } from './config-store.js';
import type { IdentityStore } from './identity-store.js';
import type { Metrics } from './metrics.js';
import { serveQuit } from './quit.js';

export interface AdminDeps {
  config: Pick<ConfigStore, 'current'>;
  identity: Pick<IdentityStore, 'current'>;
  metrics: Metrics;
  log: Logger;
  /** Starts a drain (stop accepting, finish in-flight, exit); called once. */
  drain: () => void;
  /** Runs the app's original probe behind an `/app-health/...` path (app-probes.ts). */
  appProbe: (path: string) => Promise<ProbeAnswer>;
  /** The `/metrics` body: the proxy's registry plus the app's exposition (app-metrics.ts). */
  exposition: () => Promise<string>;
}

/**
 * The admin port: kubelet probes, Prometheus scrape, config dump, drain.
 * It never shows a private key: /config reports the identity by its SPIFFE ID,
 * expiry and public certificate only.
 */
export function createAdminServer(deps: AdminDeps): Server {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    switch (path) {
      case '/live':
        return send(200, 'ok\n');
      case '/ready': {
        const missing = [
          deps.config.current ? undefined : 'config',
          deps.identity.current ? undefined : 'identity',
        ].filter(Boolean);
        return missing.length === 0
          ? send(200, 'ready\n')
          : send(503, `not ready: no ${missing.join(', ')}\n`);
      }
      case '/metrics': {
        const text = await deps.exposition();
        return send(200, text, deps.metrics.registry.contentType);
      }
      case '/config': {
        const tls = deps.identity.current;
        const body = {
          config: deps.config.current ?? null,
          identity: tls
            ? {
                spiffeId: tls.identity.spiffeId,
                notAfter: tls.identity.notAfter,
                certificate: tls.identity.cert,
              }
            : null,
        };
        return send(200, `${JSON.stringify(body, null, 2)}\n`, 'application/json');
      }
      case '/drain':
        // GET too, so a kubelet preStop httpGet hook can drain.
        if (req.method !== 'POST' && req.method !== 'GET') return send(405, 'use POST\n');
        deps.log.info('drain requested on the admin port');
        send(202, 'draining\n');
        return deps.drain();
      case adminPaths.quit:
        return serveQuit(req, res, deps);
      default: {
        if (!path?.startsWith('/app-health/')) return send(404, 'not found\n');
        const answer = await deps.appProbe(path);
        return send(answer.status, answer.body);
      }
    }
  });
  return server;
}
