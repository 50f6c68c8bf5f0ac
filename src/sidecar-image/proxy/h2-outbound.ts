import { ports } from '../../api/names.js';
import type { ProxyContext } from './context.js';
import { createH2Front, forwardStream, type H2Sessions } from './h2-forward.js';
import { withoutFlags } from './http-inbound.js';
import type { Destination } from './original-dst.js';
import { type OutboundHandler, outboundLabels } from './outbound.js';
import { type Balancers, resolveTarget } from './route-target.js';

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];

/** Outbound h2c (gRPC included): each stream picks its own endpoint and rides a shared session to it. */
export function createOutboundH2(
  ctx: ProxyContext,
  balancers: Balancers,
  sessions: H2Sessions,
  idleTimeoutMs?: number,
): OutboundHandler {
  const front = createH2Front<Destination>(
    ctx,
    (stream, headers, dst) => {
      const registry = ctx.registry();
      const r = registry && resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (!registry || !r || r.kind === 'refuse') {
        const [status, flag] =
          r?.kind === 'refuse' && r.reason === 'no_healthy_upstream' ? [503, 'UH'] : [502, 'NR'];
        stream.respond({ ':status': status, 'x-trellis-response-flags': flag }, { endStream: true });
        return;
      }
      const t = r.target;
      forwardStream(
        ctx,
        sessions,
        stream,
        headers,
        {
          host: t.host,
          port: t.port,
          identity: t.identity,
          labels: withoutFlags(outboundLabels(ctx, t)),
          release: t.release,
        },
        registry.config.telemetry.tracing.samplingPercent,
      );
    },
    idleTimeoutMs,
  );
  return (_ctx, s) => front.accept(s.socket, s.dst);
}
