import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import type { InitOptions } from '../../api/init-options.js';
import { cidrContains, firstHost } from './cidr.js';

export interface Destination {
  address: string;
  port: number;
}

export interface ValidationOptions {
  /** The outbound capture port: a redirected connection must land on 127.0.0.1 here. */
  capturePort: number;
  /** A destination the rules capture. With working rules the probe never leaves the pod. */
  probe: Destination;
  timeoutMs: number;
}

export type ValidationResult = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * The probe's destination port: 15002 as in Istio, unless the pod excludes it
 * from capture (excluded ports return before the owner rules, so a probe
 * there could never be redirected); then the next port that is not excluded.
 */
export function probePort(excludedOutboundPorts: readonly number[]): number {
  const excluded = new Set(excludedOutboundPorts);
  for (let i = 0; i < 65535; i++) {
    const port = ((15002 - 1 + i) % 65535) + 1;
    if (!excluded.has(port)) return port;
  }
  // Every port excluded: nothing can be redirected, and validation will say so.
  return 15002;
}

/** The default route's gateway in `/proc/net/route` text (addresses are little-endian hex). */
export function defaultGateway(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split('\n').slice(1)) {
    const [, destination, gateway, flags] = line.trim().split(/\s+/);
    // RTF_UP | RTF_GATEWAY
    if (destination !== '00000000' || !gateway || (Number.parseInt(flags ?? '0', 16) & 0x3) !== 0x3) continue;
    const octets = gateway.match(/../g)?.reverse() ?? [];
    return octets.map((hex) => Number.parseInt(hex, 16)).join('.');
  }
  return undefined;
}

/**
 * Where the probe connects: an address the rules capture, reached through the
 * pod's interface rather than lo (lo traffic of anyone but the proxy is left
 * alone). The default gateway first: should the rules fail, the probe reaches
 * no further than the pod's own gateway. Then the first host of each included
 * range, for pods that capture only some ranges.
 */
export function probeTarget(opts: InitOptions, gateway: string | undefined): Destination | undefined {
  const captured = (address: string) =>
    opts.includeOutboundCidrs.some((cidr) => cidrContains(cidr, address)) &&
    !opts.excludeOutboundCidrs.some((cidr) => cidrContains(cidr, address));
  const candidates = [
    ...(gateway ? [gateway] : []),
    ...opts.includeOutboundCidrs.filter((cidr) => !cidr.endsWith('/0')).map(firstHost),
  ];
  const address = candidates.find(captured);
  return address ? { address, port: probePort(opts.excludeOutboundPorts) } : undefined;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
}

/** Connects, sends the token and waits for it to be echoed; resolves with why not, or undefined. */
function probe(target: Destination, token: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(target.port, target.address, () => socket.write(token));
    let reply = '';
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs}ms`), timeoutMs);
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      reply += chunk;
      if (reply === token) done(undefined);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.on('end', () => done('connection closed without the token echoed'));
  });
}

/**
 * Proves the rules redirect, as istio-validation does: listen on the outbound
 * capture port and connect, as this process (not the proxy, so captured), to
 * a destination the rules capture; the listener must receive this
 * connection's token. It needs no capability beyond NET_ADMIN and NET_RAW.
 */
export async function validateRedirect(opts: ValidationOptions): Promise<ValidationResult> {
  const started = Date.now();
  const token = `trellis-validation-${randomUUID()}`;
  let landed = false;
  const server = createServer((socket) => {
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      if (received === token) {
        landed = true;
        socket.end(token);
      }
    });
    socket.on('error', () => {});
  });
  try {
    await listen(server, opts.capturePort);
  } catch (err) {
    return { ok: false, reason: `cannot listen on 127.0.0.1:${opts.capturePort}: ${(err as Error).message}` };
  }
  try {
    const failure = await probe(opts.probe, token, opts.timeoutMs);
    const target = `${opts.probe.address}:${opts.probe.port}`;
    if (!failure && landed) return { ok: true, ms: Date.now() - started };
    if (!failure) return { ok: false, reason: `a connection to ${target} was answered by another listener` };
    return {
      ok: false,
      reason: `a connection to ${target} did not reach 127.0.0.1:${opts.capturePort}: ${failure}`,
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Validation as trellis-init runs it: pick a captured destination from the routes, then probe it. */
export function validateOutboundCapture(
  opts: InitOptions,
  procNetRoute: string,
  timeoutMs = 5_000,
): Promise<ValidationResult> {
  const target = probeTarget(opts, defaultGateway(procNetRoute));
  if (!target) {
    return Promise.resolve({
      ok: false,
      reason: 'no destination to probe: neither the default gateway nor an included range is captured',
    });
  }
  return validateRedirect({ capturePort: opts.outboundCapturePort, probe: target, timeoutMs });
}
