import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { type BaseLabels, forwardOnce, forwardUpgrade, H1Exchange } from './http-forward.js';
import { createHttpFront, defaultHttpLimits, type HttpLimits } from './http-front.js';
import type { InboundHandler } from './inbound.js';
import { decideInbound, selfOf } from './inbound-policy.js';
import type { TcpLabels } from './metrics.js';
import { splitTarget } from './policy/request-view.js';
import { policyMetrics } from './policy-metrics.js';
import type { Pools } from './pools.js';

interface Info {
  appPort: number;
  peerId: string | undefined;
  labels: BaseLabels;
}

const noop = () => {};

export function withoutFlags(labels: TcpLabels): BaseLabels {
  const { response_flags: _flags, ...rest } = labels;
  return rest;
}

/**
 * Inbound HTTP/1.1: requests from peers (or plaintext clients) to the app on 127.0.0.1, pooled,
 * after authorization (403 RBAC) and the per-identity rate limit (429 RL) of inbound-policy.ts.
 */
export function createInboundHttp(
  ctx: ProxyContext,
  pools: Pools,
  limits: HttpLimits = defaultHttpLimits,
): InboundHandler {
  const metrics = policyMetrics(ctx.metrics);
  const agentFor = () => pools.plain;
  const front = createHttpFront<Info>(
    ctx,
    'inbound',
    (req, res, info) => {
      const registry = ctx.registry();
      const telemetry = registry?.config.telemetry;
      const ex = new H1Exchange(ctx, req, res, {
        labels: info.labels,
        relabel: false,
        agentFor,
        samplingPercent: telemetry?.tracing.samplingPercent ?? 0,
        accessLog: telemetry?.accessLog.enabled ?? false,
      });
      if (registry) {
        const v = decideInbound(registry.policies, registry, selfOf(ctx.pod.ip, registry), metrics, {
          principal: info.peerId,
          method: req.method,
          path: splitTarget(req.url ?? '/').path,
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
    },
    (req, socket, head, info) => {
      // An Upgrade is authorized like any request: it would otherwise be a way around the policy.
      const registry = ctx.registry();
      const v =
        registry &&
        decideInbound(registry.policies, registry, selfOf(ctx.pod.ip, registry), metrics, {
          principal: info.peerId,
          method: req.method,
          path: splitTarget(req.url ?? '/').path,
          port: info.appPort,
        });
      if (v && v.status !== 0) {
        ctx.metrics.tcpClosed.inc({ ...info.labels, response_flags: v.flag });
        return socket.end(
          `HTTP/1.1 ${v.status} ${v.status === 403 ? 'Forbidden' : 'Too Many Requests'}\r\nConnection: close\r\nContent-Length: 0\r\nx-trellis-response-flags: ${v.flag}\r\n\r\n`,
        );
      }
      connectTcp(ctx.appHost, info.appPort, ctx.timeouts.connectMs).then(
        (app) => forwardUpgrade(ctx, req, socket, head, app, info.labels, noop),
        () =>
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
      );
    },
    limits,
  );
  return (_ctx, s) =>
    front.accept(s.stream, { appPort: s.appPort, peerId: s.peerId, labels: withoutFlags(s.labels) });
}
