import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import type { AppMetrics, AppProbes } from '../../api/probe-rewrite.js';
import { createAdminServer } from './admin.js';
import { createExposition } from './app-metrics.js';
import { createAppProbeHandler } from './app-probes.js';
import { Balancer } from './balancer.js';
import { ConfigStore } from './config-store.js';
import { defaultTimeouts, type ProxyContext, type Timeouts } from './context.js';
import type { ProxySettings } from './env.js';
import { H2Sessions } from './h2-forward.js';
import { createInboundH2 } from './h2-inbound.js';
import { createOutboundH2 } from './h2-outbound.js';
import { createInboundHttp } from './http-inbound.js';
import { createOutboundHttp } from './http-outbound.js';
import { IdentityStore } from './identity-store.js';
import { createInboundServer } from './inbound.js';
import { createMetrics } from './metrics.js';
import type { OriginalDst } from './original-dst.js';
import { createOutboundServer } from './outbound.js';
import { PolicySet } from './policy/policy-set.js';
import { RuntimeState } from './policy/runtime-state.js';
import { policyMetrics } from './policy-metrics.js';
import { Pools } from './pools.js';
import { labelsOfPod, Registry } from './registry.js';
import { Balancers } from './route-target.js';
import { SpanExporter } from './span-exporter.js';
import { ConnectionTracker } from './tracker.js';

export interface ProxyOptions {
  settings: ProxySettings;
  log: Logger;
  originalDst: OriginalDst;
  ports: { outbound: number; inbound: number; admin: number };
  /** Address the listeners bind; 0.0.0.0 in a pod (REDIRECT targets the primary address or 127.0.0.1). */
  host: string;
  /** Called when a drain has finished; the process exits there. */
  onDrained: (forced: number) => void;
  drainTimeoutMs?: number;
  timeouts?: Partial<Timeouts>;
  watch?: { debounceMs?: number; pollMs?: number };
  /** The app's original probes and scrape endpoint (TRELLIS_APP_PROBES, TRELLIS_APP_METRICS). */
  app?: { probes: AppProbes; metrics: AppMetrics | undefined; host: string };
}

export interface RunningProxy {
  ctx: ProxyContext;
  ports: { outbound: number; inbound: number; admin: number };
  /** Stop accepting, let in-flight connections finish (up to the drain timeout), then onDrained. */
  drain: () => Promise<void>;
}

const listen = (server: NetServer, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

const closeServer = (server: NetServer | Server) => new Promise<void>((r) => server.close(() => r()));

/** Wires config, identity, telemetry and the three listeners together. */
export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const { settings, log } = opts;
  const metrics = createMetrics();
  // Breakers, ejections, budgets and buckets live here across reloads (policy/runtime-state.ts).
  const state = new RuntimeState();
  let compiled: PolicySet | undefined;
  const config = new ConfigStore(settings.configDir, log, metrics, (c) => {
    const r = PolicySet.load(
      c,
      { namespace: settings.pod.namespace, labels: labelsOfPod(c, settings.pod.ip) },
      state,
    );
    policyMetrics(metrics).policyReloads.inc({ result: r.ok ? 'success' : 'rejected' });
    if (!r.ok) return `policies: ${r.errors.join('; ')}`;
    compiled = r.set;
    return undefined;
  });
  const identity = new IdentityStore(settings.identityDir, log, metrics);
  let registry: Registry | undefined;
  const spans = new SpanExporter(log, {
    'service.name': settings.pod.serviceAccount,
    'k8s.pod.name': settings.pod.name,
    'k8s.namespace.name': settings.pod.namespace,
  });
  config.onChange((c) => {
    registry = new Registry(c, compiled);
    spans.setEndpoint(c.telemetry.tracing.otlpEndpoint);
  });
  await Promise.all([config.start(opts.watch), identity.start(opts.watch)]);

  const tracker = new ConnectionTracker();
  const ctx: ProxyContext = {
    registry: () => registry,
    tls: () => identity.current,
    metrics,
    log,
    tracker,
    spans,
    pod: settings.pod,
    originalDst: opts.originalDst,
    opaquePorts: new Set(settings.opaquePorts),
    appHost: '127.0.0.1',
    timeouts: { ...defaultTimeouts, ...opts.timeouts },
  };
  const balancers = new Balancers(() => new Balancer());
  const pools = new Pools(ctx);
  const sessions = new H2Sessions(ctx);
  const outbound = createOutboundServer(
    ctx,
    balancers,
    createOutboundHttp(ctx, balancers, pools),
    createOutboundH2(ctx, balancers, sessions),
  );
  const inbound = createInboundServer(ctx, createInboundHttp(ctx, pools), createInboundH2(ctx, sessions));

  let draining: Promise<void> | undefined;
  const drain = () => {
    draining ??= (async () => {
      log.info({ inFlight: tracker.size }, 'draining');
      const closed = Promise.all([closeServer(outbound), closeServer(inbound)]);
      const { forced } = await tracker.drain(opts.drainTimeoutMs ?? 20_000);
      await closed;
      pools.destroy();
      sessions.destroy();
      await spans.flush();
      config.stop();
      identity.stop();
      admin.closeAllConnections();
      await closeServer(admin);
      log.info({ forced }, 'drained');
      opts.onDrained(forced);
    })();
    return draining;
  };
  const appHost = opts.app?.host ?? '127.0.0.1';
  const admin = createAdminServer({
    config,
    identity,
    metrics,
    log,
    drain: () => void drain(),
    appProbe: createAppProbeHandler(opts.app?.probes ?? {}, { host: appHost, log }),
    exposition: createExposition({ registry: metrics.registry, app: opts.app?.metrics, host: appHost, log }),
  });

  const bound = {
    outbound: await listen(outbound, opts.ports.outbound, opts.host),
    inbound: await listen(inbound, opts.ports.inbound, opts.host),
    admin: await listen(admin, opts.ports.admin, opts.host),
  };
  log.info({ ports: bound, pod: settings.pod.name }, 'proxy listening');
  return { ctx, ports: bound, drain };
}
