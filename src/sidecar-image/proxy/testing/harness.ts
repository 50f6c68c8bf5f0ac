import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { type ProxyConfigInput, parseProxyConfig } from '../../../api/proxy-config.js';
import { defaultTimeouts, type ProxyContext, type Timeouts } from '../context.js';
import { checkIdentity } from '../identity.js';
import { buildTlsState, type TlsState } from '../identity-store.js';
import { createMetrics } from '../metrics.js';
import type { Destination } from '../original-dst.js';
import { PolicySet } from '../policy/policy-set.js';
import { RuntimeState } from '../policy/runtime-state.js';
import { labelsOfPod, Registry } from '../registry.js';
import { SpanExporter } from '../span-exporter.js';
import { ConnectionTracker } from '../tracker.js';
import { captureLogger } from './log.js';
import type { Leaf } from './pki.js';

export function tlsStateOf(leaf: Leaf): TlsState {
  const r = checkIdentity(leaf);
  if (!r.ok) throw new Error(r.error);
  return buildTlsState(r.identity);
}

/**
 * The registry a proxy at `podIp` would build from `input`, policies compiled for that pod's labels;
 * `state` carries breakers, ejections, budgets and buckets across configs as the proxy's does.
 */
export function registryOf(input: ProxyConfigInput, podIp = '', state = new RuntimeState()): Registry {
  const r = parseProxyConfig(JSON.stringify(input));
  if (!r.ok) throw new Error(r.error);
  const workload = { namespace: r.config.namespace, labels: labelsOfPod(r.config, podIp) };
  const p = PolicySet.load(r.config, workload, state);
  if (!p.ok) throw new Error(p.errors.join('; '));
  return new Registry(r.config, p.set);
}

/**
 * A real ProxyContext for loopback tests. Without iptables there is no
 * SO_ORIGINAL_DST, so `dst` stands in for it: it maps the accepted socket to
 * where the client "meant" to go.
 */
export function testContext(opts: {
  config: ProxyConfigInput;
  leaf: Leaf;
  dst: (socket: Socket) => Destination | undefined;
  podIp?: string;
  opaquePorts?: number[];
  timeouts?: Partial<Timeouts>;
}) {
  const logs = captureLogger();
  const podIp = opts.podIp ?? '10.0.0.5';
  const state = new RuntimeState();
  let registry = registryOf(opts.config, podIp, state);
  let tls = tlsStateOf(opts.leaf);
  const spans = new SpanExporter(logs.log, { 'service.name': 'test' }, 20);
  spans.setEndpoint(registry.config.telemetry.tracing.otlpEndpoint);
  const ctx: ProxyContext = {
    registry: () => registry,
    tls: () => tls,
    metrics: createMetrics(),
    log: logs.log,
    tracker: new ConnectionTracker(),
    spans,
    pod: { name: 'pod-a', namespace: 'shop', ip: podIp, serviceAccount: 'orders' },
    originalDst: opts.dst,
    opaquePorts: new Set(opts.opaquePorts ?? []),
    appHost: '127.0.0.1',
    timeouts: { ...defaultTimeouts, ...opts.timeouts },
  };
  return {
    ctx,
    logs,
    setConfig: (c: ProxyConfigInput) => {
      registry = registryOf(c, podIp, state);
    },
    setLeaf: (l: Leaf) => {
      tls = tlsStateOf(l);
    },
  };
}

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** An app that echoes every byte and closes when the client does. */
export async function echoApp(): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  return { server, port: await listen(server) };
}

/** Sends `text`, half-closes, and collects everything until the far side closes. */
export function roundTrip(socket: import('node:stream').Duplex, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
    socket.end(text);
  });
}
