import { ports } from '../../api/names.js';
import type { ProxyContext } from './context.js';
import { defaultH1Limits, type H1Limits, serveH1 } from './h1/forward.js';
import type { RequestHead } from './h1/head.js';
import type { UpstreamPool } from './h1/pool.js';
import { DestinationLabels } from './h1-report.js';
import { H1Transport } from './h1-transport.js';
import { withoutFlags } from './http-inbound.js';
import type { Destination } from './original-dst.js';
import { type OutboundHandler, openUpstream, outboundLabels } from './outbound.js';
import { type ResponseFlag, responseFlags } from './policy/flags.js';
import { type RequestView, splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import type { Pools } from './pools.js';
import type { Registry, Upstream } from './registry.js';
import {
  forwardOnce,
  type OutboundRequest,
  type PipelineDeps,
  pipelineDeps,
  runOutbound,
  type TryTarget,
} from './request-pipeline.js';
import { type Balancers, resolveTarget } from './route-target.js';
import { forwardUpgrade } from './upgrade.js';

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];
/** Local answers when there is nowhere to send a request: status and response flag. */
const refusals: Record<string, [number, ResponseFlag]> = {
  registry_only: [502, responseFlags.noRoute],
  no_healthy_upstream: [503, responseFlags.noHealthyUpstream],
  loop: [502, responseFlags.noRoute],
};

/** Raw fields as the pipeline's request view reads them (lower-case names, repeats joined). */
function headerView(fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) {
    const name = (fields[i] ?? '').toLowerCase();
    const value = fields[i + 1] ?? '';
    const present = out[name];
    out[name] = present === undefined ? value : `${present}, ${value}`;
  }
  return out;
}

/** A request as the pipeline sees it; the view (for route matching and hash keys) made on first use. */
class HeadRequest implements OutboundRequest {
  #view: RequestView | undefined;

  constructor(
    private readonly head: RequestHead,
    readonly upstream: Upstream,
    readonly servicePort: number,
    readonly callerIdentity: string | undefined,
    readonly sourceIp: string,
  ) {}

  get view(): RequestView {
    if (!this.#view) {
      const h = this.head;
      this.#view = { method: h.method, ...splitTarget(h.target), headers: headerView(h.headers) };
    }
    return this.#view;
  }
}

/** The Service a client connection's destination is, per config. */
interface ConnectionTarget {
  registry: Registry | undefined;
  upstream: Upstream | undefined;
}

/**
 * Outbound HTTP/1.1 on the lean engine (h1/). Every request is taken whole by an H1Transport: a
 * request to a Service port goes through the traffic policy (request-pipeline.ts), each try picking
 * its own endpoint (so least-request sees requests, not connections) and riding a pooled engine
 * connection to it; a request to a pod IP or passed through goes once, as addressed.
 */
export function createOutboundHttp(
  ctx: ProxyContext,
  balancers: Balancers,
  pools: Pools,
  limits: H1Limits = defaultH1Limits,
  /** The draws of faults, mirroring and backoff jitter; tests pass a seeded one. */
  random: () => number = Math.random,
): OutboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  // A try's target is the same object for an endpoint while its config lasts: its pool is looked
  // up once, not through a key string per try.
  const poolByTarget = new WeakMap<TryTarget, UpstreamPool>();
  const poolFor = (to: TryTarget): UpstreamPool => {
    let pool = poolByTarget.get(to);
    if (!pool) {
      pool = pools.http1(to.identity, to.host, to.port);
      poolByTarget.set(to, pool);
    }
    return pool;
  };
  // The pipeline's dependencies change only with the config: made once per registry.
  let deps: PipelineDeps | undefined;
  const failed = (t: H1Transport) => (err: Error) => {
    ctx.log.error({ err: err.message }, 'outbound request pipeline failed');
    t.answer(500, {}, undefined);
  };
  const serve = (dst: Destination, head: RequestHead, t: H1Transport, target: ConnectionTarget) => {
    const registry = ctx.registry();
    if (!registry) return t.answer(503, {}, undefined);
    // The service behind the connection's destination, looked up once per config.
    if (target.registry !== registry) {
      target.registry = registry;
      target.upstream = registry.service(dst.address, dst.port);
    }
    const upstream = target.upstream;
    if (upstream) {
      if (deps?.registry !== registry) deps = pipelineDeps(registry, balancers, metrics, random);
      const request = new HeadRequest(head, upstream, dst.port, ctx.tls()?.identity.spiffeId, ctx.pod.ip);
      runOutbound(deps, request, t).catch(failed(t));
      return;
    }
    const r = resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
    if (r.kind === 'refuse') {
      const [status, flag] = refusals[r.reason] ?? [502, responseFlags.noRoute];
      t.flags.push(flag);
      return t.answer(status, {}, undefined);
    }
    forwardOnce(t, r.target, r.target.release);
  };
  return (_ctx, s) => {
    const dst = s.dst;
    const target: ConnectionTarget = { registry: undefined, upstream: undefined };
    // The connection's labels, per config (the source workload comes from it).
    let labels: DestinationLabels | undefined;
    let labelsRegistry: Registry | undefined;
    const labelsOf = (): DestinationLabels => {
      const registry = ctx.registry();
      if (labels && registry === labelsRegistry) return labels;
      labelsRegistry = registry;
      labels = new DestinationLabels({
        direction: 'outbound',
        source_workload: registry?.workloadOf(ctx.pod.ip)?.workload ?? ctx.pod.name,
        source_namespace: ctx.pod.namespace,
        destination_service: 'unknown',
        destination_workload: 'unknown',
        tls: 'none',
      });
      return labels;
    };
    const served = serveH1(
      s.socket,
      {
        // Every outbound request is taken whole (below), so the engine never asks for a connection.
        acquire: () => Promise.reject(new Error('outbound requests are taken whole')),
        release: () => {},
        take: (x) => {
          const telemetry = ctx.registry()?.config.telemetry;
          const t = new H1Transport(ctx, x, {
            labels: labelsOf(),
            poolFor,
            samplingPercent: telemetry?.tracing.samplingPercent ?? 0,
            accessLog: telemetry?.accessLog.enabled ?? false,
          });
          serve(dst, x.head, t, target);
          return true;
        },
        onClientError: (status) =>
          ctx.metrics.httpClientErrors.inc({ direction: 'outbound', response_code: String(status) }),
        onUpgrade: (head, client, rest) => {
          const registry = ctx.registry();
          const r = registry && resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
          if (!r || r.kind === 'refuse')
            return void client.end(
              'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
            );
          const target = r.target;
          openUpstream(ctx, target, 'http1').then(
            (up) =>
              forwardUpgrade(
                ctx,
                head,
                client,
                rest,
                up,
                withoutFlags(outboundLabels(ctx, target)),
                target.release,
              ),
            () => {
              target.release();
              client.end(
                'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
              );
            },
          );
        },
        draining: () => ctx.tracker.draining,
      },
      limits,
    );
    ctx.tracker.add(s.socket, { drain: served.drain });
  };
}
