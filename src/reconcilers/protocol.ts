import type { V1ServicePort } from '@kubernetes/client-node';
import type { PortProtocol } from '../api/proxy-config.js';

/**
 * Ports listed in the Service's `trellis.dev/opaque-ports` annotation: comma-separated port numbers
 * or ranges (`5432,9000-9010`). Tokens that are not a port or a range are ignored.
 */
export function parseOpaquePorts(value: string | undefined): (port: number) => boolean {
  const ranges: Array<[number, number]> = [];
  for (const token of (value ?? '').split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(token);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from >= 1 && to <= 65535 && from <= to) ranges.push([from, to]);
  }
  return (port) => ranges.some(([from, to]) => port >= from && port <= to);
}

/** appProtocol values (IANA names and Kubernetes' own) and what the proxy makes of them. */
const byAppProtocol: Record<string, PortProtocol> = {
  http: 'http',
  'kubernetes.io/ws': 'http',
  http2: 'http2',
  h2c: 'http2',
  'kubernetes.io/h2c': 'http2',
  grpc: 'grpc',
  tcp: 'tcp',
  // The application speaks TLS itself: the proxy can only pass the bytes through.
  https: 'tcp',
  tls: 'tcp',
  'kubernetes.io/wss': 'tcp',
};

/** Port name prefixes, Istio style: `http`, `http-web`, `grpc-api`... */
const byNamePrefix: Record<string, PortProtocol> = {
  http: 'http',
  http2: 'http2',
  h2c: 'http2',
  grpc: 'grpc',
  'grpc-web': 'http',
  tcp: 'tcp',
  https: 'tcp',
  tls: 'tcp',
};

function fromName(name: string): PortProtocol | undefined {
  const lower = name.toLowerCase();
  // Longest prefix first, so `grpc-web-x` is grpc-web, not grpc.
  const prefixes = Object.keys(byNamePrefix).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (lower === prefix || lower.startsWith(`${prefix}-`)) return byNamePrefix[prefix];
  }
  return undefined;
}

/**
 * The protocol the proxy treats a Service port as. Precedence: the opaque-ports annotation (tcp), then
 * `appProtocol`, then the port name's prefix; undefined lets the proxy detect it.
 */
export function portProtocol(
  port: V1ServicePort,
  isOpaque: (port: number) => boolean,
): PortProtocol | undefined {
  if (isOpaque(port.port)) return 'tcp';
  if (port.appProtocol !== undefined) {
    const known = byAppProtocol[port.appProtocol.toLowerCase()];
    if (known) return known;
  }
  return port.name ? fromName(port.name) : undefined;
}
