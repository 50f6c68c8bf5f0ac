import { ports } from '../../api/names.js';
import type { ProxyContext } from './context.js';
import { answerLocally, forwardRequest, forwardUpgrade, type HttpUpstream } from './http-forward.js';
import { createHttpFront, defaultHttpLimits, type HttpLimits } from './http-front.js';
import { withoutFlags } from './http-inbound.js';
import type { Destination } from './original-dst.js';
import { type OutboundHandler, openUpstream, outboundLabels } from './outbound.js';
import type { Pools } from './pools.js';
import { type Balancers, resolveTarget } from './route-target.js';

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];
/** Local answers when there is nowhere to send a request: status and response flag. */
const refusals: Record<string, [number, string]> = {
  registry_only: [502, 'NR'],
  no_healthy_upstream: [503, 'UH'],
  loop: [502, 'NR'],
};

/**
 * Outbound HTTP/1.1: each request picks its own endpoint (so least-request
 * sees requests, not connections) and rides a pooled connection to it.
 */
export function createOutboundHttp(
  ctx: ProxyContext,
  balancers: Balancers,
  pools: Pools,
  limits: HttpLimits = defaultHttpLimits,
): OutboundHandler {
  const front = createHttpFront<Destination>(
    ctx,
    'outbound',
    (req, res, dst) => {
      const registry = ctx.registry();
      if (!registry) return res.destroy();
      const r = resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (r.kind === 'refuse') {
        const [status, flag] = refusals[r.reason] ?? [502, 'NR'];
        const labels = {
          direction: 'outbound',
          source_workload: registry.workloadOf(ctx.pod.ip)?.workload ?? ctx.pod.name,
          source_namespace: ctx.pod.namespace,
          destination_service: 'unknown',
          destination_workload: 'unknown',
          tls: 'none',
        };
        return answerLocally(ctx, res, labels, status, flag);
      }
      const t = r.target;
      const up: HttpUpstream = {
        agent: pools.agentFor(t.identity),
        host: t.host,
        port: t.port,
        labels: withoutFlags(outboundLabels(ctx, t)),
        release: t.release,
      };
      const telemetry = registry.config.telemetry;
      forwardRequest(ctx, req, res, up, telemetry.tracing.samplingPercent, telemetry.accessLog.enabled);
    },
    (req, socket, head, dst) => {
      const registry = ctx.registry();
      const r = registry && resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (!r || r.kind === 'refuse')
        return socket.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      const t = r.target;
      openUpstream(ctx, t, 'http1').then(
        (upstream) =>
          forwardUpgrade(ctx, req, socket, head, upstream, withoutFlags(outboundLabels(ctx, t)), t.release),
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
