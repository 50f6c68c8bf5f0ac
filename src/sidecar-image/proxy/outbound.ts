import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ports } from '../../api/names.js';
import { connectTcp } from './connect.js';
import type { ProxyContext } from './context.js';
import type { TcpLabels } from './metrics.js';
import { connectMtls, type InnerProtocol } from './mtls.js';
import type { Destination } from './original-dst.js';
import { responseFlags } from './policy/flags.js';
import { policyMetrics } from './policy-metrics.js';
import { type Balancers, resolveTarget, type Target } from './route-target.js';
import { sniff } from './sniff.js';
import { forwardTcp } from './tcp-forward.js';

export interface OutboundStream {
  socket: Socket;
  dst: Destination;
}
export type OutboundHandler = (ctx: ProxyContext, s: OutboundStream) => void;

const proxyPorts = [ports.outboundCapture, ports.inboundCapture, ports.admin];

/**
 * The outbound capture listener (15001): OUTPUT redirects the app's
 * connections here; SO_ORIGINAL_DST says where they were going. HTTP/1.1 goes
 * to `http`, HTTP/2 to `h2` (both route per request); everything else is opaque TCP to one
 * endpoint, over mTLS when that endpoint runs a Trellis proxy.
 */
export function createOutboundServer(
  ctx: ProxyContext,
  balancers: Balancers,
  http?: OutboundHandler,
  h2?: OutboundHandler,
): Server {
  return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    handle(ctx, balancers, socket, http, h2).catch((err: Error) => {
      ctx.log.debug({ err: err.message }, 'outbound connection failed');
      socket.destroy();
    });
  });
}

async function handle(
  ctx: ProxyContext,
  balancers: Balancers,
  socket: Socket,
  http: OutboundHandler | undefined,
  h2: OutboundHandler | undefined,
): Promise<void> {
  ctx.tracker.add(socket);
  socket.on('error', () => socket.destroy());
  const refuse = (reason: string) => {
    ctx.metrics.connectionsRefused.inc({ direction: 'outbound', reason });
    socket.destroy();
  };
  const dst = ctx.originalDst(socket);
  const registry = ctx.registry();
  if (!dst) return refuse('no_original_dst');
  if (!registry) return refuse('not_ready');
  // The declared protocol, read without picking an endpoint (a pick would move round robin).
  const protocol = (registry.service(dst.address, dst.port) ?? registry.pod(dst.address, dst.port))?.protocol;
  const kind = protocol === 'tcp' ? 'tcp' : await sniff(socket, ctx.timeouts.detectMs);
  // HTTP picks an endpoint per request (HTTP/2: per stream), and answers refusals with a status.
  const handler = kind === 'http1' ? http : kind === 'h2' ? h2 : undefined;
  if (handler) return handler(ctx, { socket, dst });
  const resolved = resolveTarget(registry, balancers, dst, ctx.pod, proxyPorts);
  if (resolved.kind === 'refuse') return refuse(resolved.reason);
  const target = resolved.target;
  const labels = outboundLabels(ctx, target);
  const dest = target.destination;
  const pm = policyMetrics(ctx.metrics);
  // Opaque TCP to a Service: the connection counts against its maxConnections (503 UO's TCP form is a close).
  const overflow = dest?.breaker.openConnection() ?? 'none';
  if (overflow !== 'none') {
    target.release();
    pm.circuitOpen.inc({ destination_service: target.destinationService, limit: overflow });
    ctx.metrics.tcpClosed.inc({ ...labels, response_flags: responseFlags.upstreamOverflow });
    return refuse('circuit_open');
  }
  const end = () => {
    target.release();
    dest?.breaker.closeConnection();
  };
  let upstream: Duplex;
  try {
    upstream = await openUpstream(ctx, target, 'tcp');
  } catch (err) {
    end();
    const ejected = dest?.outlier?.report(target.host, 0, 'connect-failure');
    if (ejected) pm.ejections.inc({ destination_service: target.destinationService, reason: ejected });
    ctx.metrics.tcpClosed.inc({ ...labels, response_flags: responseFlags.upstreamConnectFailure });
    throw err;
  }
  // A connection made is the TCP form of a response: it resets the endpoint's connect-failure count.
  dest?.outlier?.report(target.host, 0, 'none');
  forwardTcp(ctx, socket, upstream, labels, end);
}

/** A connection to the target: mTLS to a peer proxy that must present the endpoint's identity, else plain TCP. */
export async function openUpstream(
  ctx: ProxyContext,
  target: Target,
  protocol: InnerProtocol,
): Promise<Duplex> {
  if (!target.identity) return connectTcp(target.host, target.port, ctx.timeouts.connectMs);
  const tls = ctx.tls();
  if (!tls) throw new Error('no workload identity loaded');
  return connectMtls(
    {
      host: target.host,
      port: target.port,
      expectedId: target.identity,
      protocol,
      connectMs: ctx.timeouts.connectMs,
    },
    tls,
  );
}

export function outboundLabels(ctx: ProxyContext, target: Target): TcpLabels {
  const self = ctx.registry()?.workloadOf(ctx.pod.ip);
  return {
    direction: 'outbound',
    source_workload: self?.workload ?? ctx.pod.name,
    source_namespace: ctx.pod.namespace,
    destination_service: target.destinationService,
    destination_workload: target.destinationWorkload,
    response_flags: '-',
    tls: target.identity ? 'mtls' : 'none',
  };
}
