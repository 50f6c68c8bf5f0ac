import { ports } from '../../api/names.js';
import type { ProxyContext } from './context.js';
import { type BaseLabels, forwardOnce, forwardUpgrade, H1Exchange } from './http-forward.js';
import { createHttpFront, defaultHttpLimits, type HttpLimits } from './http-front.js';
import { withoutFlags } from './http-inbound.js';
import type { Destination } from './original-dst.js';
import { type OutboundHandler, openUpstream, outboundLabels } from './outbound.js';
import { type ResponseFlag, responseFlags } from './policy/flags.js';
import { splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import type { Pools } from './pools.js';
import { runOutbound, sleep } from './request-pipeline.js';
import { type Balancers, resolveTarget } from './route-target.js';

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];
/** Local answers when there is nowhere to send a request: status and response flag. */
const refusals: Record<string, [number, ResponseFlag]> = {
  registry_only: [502, responseFlags.noRoute],
  no_healthy_upstream: [503, responseFlags.noHealthyUpstream],
  loop: [502, responseFlags.noRoute],
};

/**
 * Outbound HTTP/1.1. A request to a Service port goes through the traffic policy
 * (request-pipeline.ts), each try picking its own endpoint (so least-request sees requests, not
 * connections) and riding a pooled connection to it; a request to a pod IP or passed through goes
 * once, as addressed.
 */
export function createOutboundHttp(
  ctx: ProxyContext,
  balancers: Balancers,
  pools: Pools,
  limits: HttpLimits = defaultHttpLimits,
  /** The draws of faults, mirroring and backoff jitter; tests pass a seeded one. */
  random: () => number = Math.random,
): OutboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  const agentFor = (identity: string | undefined) => pools.agentFor(identity);
  const front = createHttpFront<Destination>(
    ctx,
    'outbound',
    (req, res, dst) => {
      const registry = ctx.registry();
      if (!registry) return res.destroy();
      const telemetry = registry.config.telemetry;
      const source_workload = registry.workloadOf(ctx.pod.ip)?.workload ?? ctx.pod.name;
      const labels: BaseLabels = {
        direction: 'outbound',
        source_workload,
        source_namespace: ctx.pod.namespace,
        destination_service: 'unknown',
        destination_workload: 'unknown',
        tls: 'none',
      };
      const ex = new H1Exchange(ctx, req, res, {
        labels,
        relabel: true,
        agentFor,
        samplingPercent: telemetry.tracing.samplingPercent,
        accessLog: telemetry.accessLog.enabled,
      });
      const upstream = registry.service(dst.address, dst.port);
      if (upstream) {
        const deps = {
          set: registry.policies,
          registry,
          balancers,
          metrics,
          random,
          now: () => performance.now(),
          sleep,
        };
        const request = {
          view: { method: req.method ?? 'GET', ...splitTarget(req.url ?? '/'), headers: req.headers },
          upstream,
          servicePort: dst.port,
          callerIdentity: ctx.tls()?.identity.spiffeId,
          sourceIp: ctx.pod.ip,
        };
        runOutbound(deps, request, ex).catch((err: Error) => {
          ctx.log.error({ err: err.message }, 'outbound request pipeline failed');
          res.destroy();
        });
        return;
      }
      const r = resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (r.kind === 'refuse') {
        const [status, flag] = refusals[r.reason] ?? [502, responseFlags.noRoute];
        ex.flags.push(flag);
        return ex.answer(status, {}, undefined);
      }
      forwardOnce(ex, r.target, r.target.release);
    },
    (req, socket, head, dst) => {
      const registry = ctx.registry();
      const r = registry && resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (!r || r.kind === 'refuse')
        return socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      const t = r.target;
      openUpstream(ctx, t, 'http1').then(
        (upstream) =>
          forwardUpgrade(
            ctx,
            { method: req.method ?? 'GET', target: req.url ?? '/', rawHeaders: req.rawHeaders },
            socket,
            head,
            upstream,
            withoutFlags(outboundLabels(ctx, t)),
            t.release,
          ),
        () => {
          t.release();
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        },
      );
    },
    limits,
  );
  return (_ctx, s) => front.accept(s.socket, s.dst);
}
