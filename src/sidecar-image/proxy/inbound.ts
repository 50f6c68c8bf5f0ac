import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { offeredAlpn } from './client-hello.js';
import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import { decideInbound, selfOf } from './inbound-policy.js';
import type { TcpLabels } from './metrics.js';
import { acceptMtls, alpn, type InnerProtocol, innerProtocolOf, isMeshAlpn } from './mtls.js';
import { MuxLink } from './mux/link.js';
import { mtlsAdmits } from './policy/mtls-mode.js';
import { policyMetrics } from './policy-metrics.js';
import { sniff, sniffHead } from './sniff.js';
import { forwardTcp } from './tcp-forward.js';

/** What the inbound listener learned about a connection before handing it to a protocol. */
export interface InboundStream {
  stream: Duplex;
  appPort: number;
  /** The caller's SPIFFE ID when it came over mTLS. */
  peerId: string | undefined;
  labels: TcpLabels;
}

export type InboundHandler = (ctx: ProxyContext, s: InboundStream) => void;

/**
 * The inbound capture listener (15006): PREROUTING redirects every
 * connection for this pod here; SO_ORIGINAL_DST gives the app port. mTLS is
 * terminated and the caller identified; plaintext is served only in
 * PERMISSIVE (or DISABLE) mode. `http` takes HTTP/1.1 streams, `h2` HTTP/2;
 * everything else is opaque TCP to the app on 127.0.0.1.
 */
export function createInboundServer(ctx: ProxyContext, http?: InboundHandler, h2?: InboundHandler): Server {
  return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    handle(ctx, socket, http, h2).catch((err: Error) => {
      ctx.log.debug({ err: err.message }, 'inbound connection failed');
      socket.destroy();
    });
  });
}

async function handle(
  ctx: ProxyContext,
  socket: Socket,
  http: InboundHandler | undefined,
  h2: InboundHandler | undefined,
): Promise<void> {
  ctx.tracker.add(socket);
  socket.on('error', () => socket.destroy());
  const refuse = (reason: string) => {
    ctx.metrics.connectionsRefused.inc({ direction: 'inbound', reason });
    socket.destroy();
  };
  const dst = ctx.originalDst(socket);
  const registry = ctx.registry();
  const tls = ctx.tls();
  if (!dst) return refuse('no_original_dst');
  if (!registry || !tls) return refuse('not_ready');
  const mode = registry.policies.mtls.modeFor(dst.port);
  const opaque = ctx.opaquePorts.has(dst.port) || registry.pod(ctx.pod.ip, dst.port)?.protocol === 'tcp';
  const { kind: first, head } = await sniffHead(socket, ctx.timeouts.detectMs);
  // Mesh peers offer Trellis ALPN values; any other TLS is the app's own (an unreadable hello is tried as mesh).
  const meshTls = first === 'tls' && isMeshAlpn(offeredAlpn(head) ?? [alpn.tcp]);

  const self = registry.workloadOf(ctx.pod.ip);
  const target = registry.pod(ctx.pod.ip, dst.port);
  const labels = (peerId: string | undefined, tlsLabel: string): TcpLabels => {
    const source = socket.remoteAddress
      ? registry.workloadOf(socket.remoteAddress.replace(/^::ffff:/, ''))
      : undefined;
    return {
      direction: 'inbound',
      source_workload: source?.workload ?? 'unknown',
      source_namespace: source?.namespace ?? (peerId?.split('/ns/')[1]?.split('/')[0] || 'unknown'),
      destination_service: target ? `${target.service.name}.${target.service.namespace}` : 'unknown',
      destination_workload: self?.workload ?? ctx.pod.name,
      response_flags: '-',
      tls: tlsLabel,
    };
  };

  let stream: Duplex = socket;
  let peerId: string | undefined;
  let protocol: InnerProtocol;
  // Mesh TLS is terminated in every mode: a meshed caller cannot know this pod's mode (mtlsAdmits).
  if (meshTls) {
    const accepted = await acceptMtls(
      socket,
      tls,
      registry.config.trustDomain,
      ctx.timeouts.handshakeMs,
    ).catch((err: Error) => {
      ctx.log.info({ err: err.message, from: socket.remoteAddress }, 'inbound mTLS refused');
    });
    if (!accepted) return refuse('tls_handshake');
    stream = accepted.tls;
    peerId = accepted.peerId;
    stream.on('error', () => stream.destroy());
    const negotiated = innerProtocolOf(accepted.tls.alpnProtocol);
    protocol = negotiated ?? (await sniffInner(ctx, stream));
  } else {
    if (!mtlsAdmits(mode, false))
      return refuse(first === 'tls' ? 'tls_not_mesh_in_strict' : 'plaintext_in_strict');
    protocol = first === 'http1' ? 'http1' : first === 'h2' ? 'h2' : 'tcp';
  }
  const l = labels(peerId, peerId ? 'mtls' : 'none');
  const serve = (inner: Duplex, p: InnerProtocol) =>
    serveInner(ctx, { stream: inner, appPort: dst.port, peerId, labels: l }, p, http, h2);
  if (protocol === 'mux') {
    // A peer proxy's link: every stream is a connection of its own (HTTP/1.1, or opaque bytes).
    const link = new MuxLink(stream, (s) => {
      serve(s, opaque ? 'tcp' : 'http1').catch((err: Error) => {
        ctx.log.debug({ err: err.message }, 'inbound stream failed');
        s.destroy();
      });
    });
    ctx.tracker.add(stream, { drain: () => link.retire() });
    return;
  }
  return serve(stream, opaque ? 'tcp' : protocol);
}

/** One inbound connection (or link stream) by its protocol: HTTP/1.1, HTTP/2, else opaque TCP. */
async function serveInner(
  ctx: ProxyContext,
  s: InboundStream,
  protocol: InnerProtocol,
  http: InboundHandler | undefined,
  h2: InboundHandler | undefined,
): Promise<void> {
  if (protocol === 'http1' && http) return http(ctx, s);
  if (protocol === 'h2' && h2) return h2(ctx, s);
  const registry = ctx.registry();
  const { stream, peerId, labels: l } = s;
  if (!registry) {
    stream.destroy();
    return;
  }
  // Opaque TCP is authorized once per connection; a denied one is closed (flag RBAC).
  const verdict = decideInbound(
    registry.policies,
    registry,
    selfOf(ctx.pod.ip, registry),
    policyMetrics(ctx.metrics),
    {
      principal: peerId,
      method: undefined,
      path: undefined,
      port: s.appPort,
    },
  );
  if (verdict.status !== 0) {
    ctx.metrics.tcpClosed.inc({ ...l, response_flags: verdict.flag });
    stream.destroy();
    return;
  }
  const app = await connectTcp(ctx.appHost, s.appPort, ctx.timeouts.connectMs).catch((err: Error) => {
    ctx.metrics.tcpClosed.inc({ ...l, response_flags: 'UF' });
    throw err;
  });
  forwardTcp(ctx, stream, app, l);
}

async function sniffInner(ctx: ProxyContext, stream: Duplex): Promise<InnerProtocol> {
  const kind = await sniff(stream, ctx.timeouts.detectMs);
  return kind === 'http1' ? 'http1' : kind === 'h2' ? 'h2' : 'tcp';
}
