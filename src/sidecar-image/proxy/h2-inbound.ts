import { TLSSocket } from 'node:tls';
import type { ProxyContext } from './context.js';
import { createH2Front, forwardStream, type H2Sessions } from './h2-forward.js';
import type { BaseLabels } from './http-forward.js';
import { withoutFlags } from './http-inbound.js';
import type { InboundHandler } from './inbound.js';
import { wrapStream } from './stream-wrap.js';

interface Info {
  appPort: number;
  labels: BaseLabels;
}

const noop = () => {};

/** Inbound HTTP/2: streams from peers (or plaintext h2c clients) to the app over one h2c session per port. */
export function createInboundH2(ctx: ProxyContext, sessions: H2Sessions): InboundHandler {
  const front = createH2Front<Info>(ctx, (stream, headers, info) => {
    forwardStream(
      ctx,
      sessions,
      stream,
      headers,
      { host: ctx.appHost, port: info.appPort, identity: undefined, labels: info.labels, release: noop },
      ctx.registry()?.config.telemetry.tracing.samplingPercent ?? 0,
    );
  });
  return (_ctx, s) =>
    front.accept(s.stream instanceof TLSSocket ? wrapStream(s.stream) : s.stream, {
      appPort: s.appPort,
      labels: withoutFlags(s.labels),
    });
}
