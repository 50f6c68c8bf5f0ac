import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { forwardRequest, forwardUpgrade, type HttpUpstream } from './http-forward.js';
import { createHttpFront, defaultHttpLimits, type HttpLimits } from './http-front.js';
import type { InboundHandler } from './inbound.js';
import type { TcpLabels } from './metrics.js';
import type { Pools } from './pools.js';

interface Info {
  appPort: number;
  labels: HttpUpstream['labels'];
}

const noop = () => {};

export function withoutFlags(labels: TcpLabels): HttpUpstream['labels'] {
  const { response_flags: _flags, ...rest } = labels;
  return rest;
}

/** Inbound HTTP/1.1: requests from peers (or plaintext clients) to the app on 127.0.0.1, pooled. */
export function createInboundHttp(
  ctx: ProxyContext,
  pools: Pools,
  limits: HttpLimits = defaultHttpLimits,
): InboundHandler {
  const front = createHttpFront<Info>(
    ctx,
    'inbound',
    (req, res, info) => {
      const telemetry = ctx.registry()?.config.telemetry;
      const up: HttpUpstream = {
        agent: pools.plain,
        host: ctx.appHost,
        port: info.appPort,
        labels: info.labels,
        release: noop,
      };
      forwardRequest(
        ctx,
        req,
        res,
        up,
        telemetry?.tracing.samplingPercent ?? 0,
        telemetry?.accessLog.enabled ?? false,
      );
    },
    (req, socket, head, info) => {
      connectTcp(ctx.appHost, info.appPort, ctx.timeouts.connectMs).then(
        (app) => forwardUpgrade(ctx, req, socket, head, app, info.labels, noop),
        () =>
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
      );
    },
    limits,
  );
  return (_ctx, s) => front.accept(s.stream, { appPort: s.appPort, labels: withoutFlags(s.labels) });
}
