import { ports } from '../../api/names.js';
import type { ProxyContext } from './context.js';
import { createH2Front, H2Exchange, type H2Sessions } from './h2-forward.js';
import type { Destination } from './original-dst.js';
import type { OutboundHandler } from './outbound.js';
import { responseFlags } from './policy/flags.js';
import { splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import { forwardOnce, pipelineDeps, runOutbound } from './request-pipeline.js';
import { type Balancers, resolveTarget } from './route-target.js';

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];

/**
 * Outbound h2c (gRPC included): each stream to a Service port goes through the traffic policy as an
 * HTTP/1.1 request does (request-pipeline.ts), picking its own endpoint per try and riding a shared
 * session to it; a stream to a pod IP or passed through goes once, as addressed.
 */
export function createOutboundH2(
  ctx: ProxyContext,
  balancers: Balancers,
  sessions: H2Sessions,
  idleTimeoutMs?: number,
  random: () => number = Math.random,
): OutboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  const front = createH2Front<Destination>(
    ctx,
    (stream, headers, dst) => {
      const registry = ctx.registry();
      const ex = new H2Exchange(ctx, sessions, stream, headers, {
        labels: {
          direction: 'outbound',
          source_workload: registry?.workloadOf(ctx.pod.ip)?.workload ?? ctx.pod.name,
          source_namespace: ctx.pod.namespace,
          destination_service: 'unknown',
          destination_workload: 'unknown',
          tls: 'none',
        },
        relabel: true,
        samplingPercent: registry?.config.telemetry.tracing.samplingPercent ?? 0,
      });
      if (!registry) {
        ex.flags.push(responseFlags.noRoute);
        return ex.answer(502, {}, undefined);
      }
      const upstream = registry.service(dst.address, dst.port);
      if (upstream) {
        const path = String(headers[':path'] ?? '/');
        const request = {
          view: { method: String(headers[':method'] ?? 'GET'), ...splitTarget(path), headers },
          upstream,
          servicePort: dst.port,
          callerIdentity: ctx.tls()?.identity.spiffeId,
          sourceIp: ctx.pod.ip,
        };
        const deps = pipelineDeps(registry, balancers, metrics, random);
        runOutbound(deps, request, ex).catch((err: Error) => {
          ctx.log.error({ err: err.message }, 'outbound stream pipeline failed');
          stream.destroy();
        });
        return;
      }
      const r = resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
      if (r.kind === 'refuse') {
        const noHealthy = r.reason === 'no_healthy_upstream';
        ex.flags.push(noHealthy ? responseFlags.noHealthyUpstream : responseFlags.noRoute);
        return ex.answer(noHealthy ? 503 : 502, {}, undefined);
      }
      forwardOnce(ex, r.target, r.target.release);
    },
    idleTimeoutMs,
  );
  return (_ctx, s) => front.accept(s.socket, s.dst);
}
