import { TLSSocket } from 'node:tls';
import type { ProxyContext } from './context.js';
import { createH2Front, H2Exchange, type H2Sessions } from './h2-forward.js';
import { withoutFlags } from './http-inbound.js';
import type { InboundHandler } from './inbound.js';
import { decideInbound, selfOf } from './inbound-policy.js';
import type { BaseLabels } from './metrics.js';
import { splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import { forwardOnce } from './request-pipeline.js';
import { wrapStream } from './stream-wrap.js';

interface Info {
  appPort: number;
  peerId: string | undefined;
  labels: BaseLabels;
}

const noop = () => {};

/**
 * Inbound HTTP/2: streams from peers (or plaintext h2c clients) to the app over one h2c session per
 * port, after authorization (403 RBAC) and the per-identity rate limit (429 RL).
 */
export function createInboundH2(ctx: ProxyContext, sessions: H2Sessions): InboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  const front = createH2Front<Info>(ctx, (stream, headers, info) => {
    const registry = ctx.registry();
    const ex = new H2Exchange(ctx, sessions, stream, headers, {
      labels: info.labels,
      relabel: false,
      samplingPercent: registry?.config.telemetry.tracing.samplingPercent ?? 0,
    });
    if (registry) {
      const v = decideInbound(registry.policies, registry, selfOf(ctx.pod.ip, registry), metrics, {
        principal: info.peerId,
        method: String(headers[':method'] ?? 'GET'),
        path: splitTarget(String(headers[':path'] ?? '/')).path,
        port: info.appPort,
      });
      if (v.status !== 0) {
        ex.flags.push(v.flag);
        return ex.answer(v.status, v.headers ?? {}, undefined);
      }
    }
    const app = {
      host: ctx.appHost,
      port: info.appPort,
      identity: undefined,
      destinationService: info.labels.destination_service,
      destinationWorkload: info.labels.destination_workload,
    };
    forwardOnce(ex, app, noop);
  });
  return (_ctx, s) =>
    front.accept(s.stream instanceof TLSSocket ? wrapStream(s.stream) : s.stream, {
      appPort: s.appPort,
      peerId: s.peerId,
      labels: withoutFlags(s.labels),
    });
}
