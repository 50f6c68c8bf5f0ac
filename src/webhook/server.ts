import type { Server as HttpsServer } from 'node:https';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { DecisionContext } from './decision.js';
import type { WebhookMetrics } from './metrics.js';
import { answerReview } from './review.js';
import { type InjectionSettings, resolveNativeSidecar } from './settings.js';

/** What a running injector knows; main.ts replaces `settings` when the file changes. */
export interface InjectorState {
  settings: InjectionSettings;
  /** The API server's `/version`, for `nativeSidecar: auto`; undefined when unknown. */
  serverVersion: { major: string; minor: string } | undefined;
  /** False once shutdown starts, so /readyz takes the pod out of the Service before the listener closes. */
  ready: boolean;
}

export const webhookPaths = {
  /** The entries that select pods by their own label or annotation. */
  inject: '/inject',
  /** The entry whose namespaceSelector matched `trellis.dev/inject=enabled`: pods that say nothing are meshed. */
  injectNamespace: '/inject/namespace',
} as const;

export interface ServerOptions {
  tls: { cert: string; key: string };
  state: InjectorState;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Generous for a pod, small enough that a flood of huge bodies cannot exhaust memory. */
  bodyLimit?: number;
  /** Must stay well under the webhook entries' timeoutSeconds (docs/injection.md). */
  requestTimeoutMs?: number;
}

export const defaultBodyLimit = 4 * 1024 * 1024;
export const defaultRequestTimeoutMs = 2_500;

interface RoutesOptions {
  state: InjectorState;
  metrics: WebhookMetrics;
}

/** POST /inject and /inject/namespace: AdmissionReview in, AdmissionReview (or 400 with the reason) out. */
export const admissionRoutes: FastifyPluginAsync<RoutesOptions & { requestTimeoutMs: number }> = async (
  app,
  { state, metrics, requestTimeoutMs },
) => {
  addRequestDeadline(app, requestTimeoutMs, metrics);
  // Any client error (bad JSON, wrong content type, too large) is a 400-class answer with the reason, and counted.
  app.setErrorHandler<FastifyError>((err, req, reply) => {
    const code = err.statusCode ?? 500;
    if (code >= 500) req.log.error({ err }, 'admission failed');
    metrics.observe(
      { result: 'refused', reason: code >= 500 ? 'internal-error' : 'malformed' },
      reply.elapsedTime / 1000,
    );
    return reply.code(code).send({ message: err.message });
  });

  const route = (path: string, defaultOptIn: DecisionContext['defaultOptIn']) =>
    app.post(path, async (req, reply) => {
      const { settings, serverVersion } = state;
      const answer = answerReview(req.body, {
        settings,
        native: resolveNativeSidecar(settings.nativeSidecar, serverVersion),
        ...(defaultOptIn ? { defaultOptIn } : {}),
      });
      // From the request's arrival: body transfer and parsing count, as the API server waits for them too.
      const seconds = reply.elapsedTime / 1000;
      metrics.observe(answer.outcome, seconds);
      const review = (
        req.body as { request?: { uid?: unknown; namespace?: unknown; dryRun?: unknown } } | null
      )?.request;
      req.log.info(
        {
          uid: review?.uid,
          namespace: review?.namespace,
          dryRun: review?.dryRun === true,
          ...answer.outcome,
          ms: Math.round(seconds * 100_000) / 100,
        },
        'admission review',
      );
      return reply.code(answer.status).send(answer.body);
    });
  route(webhookPaths.inject, undefined);
  route(webhookPaths.injectNamespace, 'namespace-label');
};

/**
 * Answers 408 and closes the connection when a request has not been answered
 * within `ms` (in practice: its body has not arrived; injection itself takes
 * well under a millisecond). Done here because node 20's https server does not
 * enforce `requestTimeout`.
 */
function addRequestDeadline(app: FastifyInstance, ms: number, metrics: WebhookMetrics): void {
  app.addHook('onRequest', async (req, reply) => {
    const timer = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      req.log.warn({ ms }, 'request not received in time');
      metrics.observe({ result: 'refused', reason: 'timeout' }, ms / 1000);
      reply.hijack();
      reply.raw.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
      reply.raw.end(JSON.stringify({ message: `request not received within ${ms} ms` }));
    }, ms);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
  });
}

/** /healthz (the process answers), /readyz (and is not shutting down), /metrics. */
export const opsRoutes: FastifyPluginAsync<RoutesOptions> = async (app, { state, metrics }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    state.ready ? { status: 'ok' } : reply.code(503).send({ status: 'shutting down' }),
  );
  app.get('/metrics', async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};

/** The injector's HTTPS server (HTTP/1.1: node's https module, never h2). Not listening yet. */
export async function buildServer(opts: ServerOptions) {
  const app = Fastify({
    https: {
      cert: opts.tls.cert,
      key: opts.tls.key,
      minVersion: 'TLSv1.2',
    },
    loggerInstance: opts.logger,
    // One line per review (admissionRoutes) instead of fastify's two per request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? defaultBodyLimit,
    // The API server reuses connections; keep them open past its idle timeout (90s).
    keepAliveTimeout: 95_000,
  });
  const routes = { state: opts.state, metrics: opts.metrics };
  await app.register(admissionRoutes, {
    ...routes,
    requestTimeoutMs: opts.requestTimeoutMs ?? defaultRequestTimeoutMs,
  });
  await app.register(opsRoutes, routes);
  return app;
}

export type InjectorApp = Awaited<ReturnType<typeof buildServer>>;

/** Serves a rotated certificate to new connections; connections already open keep theirs. */
export function replaceCertificate(app: InjectorApp, tls: { cert: string; key: string }): void {
  (app.server as HttpsServer).setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
}
