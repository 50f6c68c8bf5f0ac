import type { Logger } from 'pino';
import type { TlsState } from './identity-store.js';
import type { Metrics } from './metrics.js';
import type { OriginalDst } from './original-dst.js';
import type { Registry } from './registry.js';
import type { SpanExporter } from './span-exporter.js';
import type { ConnectionTracker } from './tracker.js';

/** This pod, as the injector describes it in the environment. */
export interface PodInfo {
  name: string;
  namespace: string;
  ip: string;
  serviceAccount: string;
}

/** What the listeners share: the live config and identity, telemetry, and the pod. */
export interface ProxyContext {
  registry: () => Registry | undefined;
  tls: () => TlsState | undefined;
  metrics: Metrics;
  log: Logger;
  tracker: ConnectionTracker;
  /** Sampled spans go here; it sends them only when the config names an OTLP endpoint. */
  spans: SpanExporter;
  pod: PodInfo;
  originalDst: OriginalDst;
  /** Inbound ports proxied as opaque TCP whatever they carry (the `opaque-ports` setting). */
  opaquePorts: ReadonlySet<number>;
  /** Where the inbound listener finds the app (127.0.0.1 in a pod). */
  appHost: string;
  timeouts: Timeouts;
}

export interface Timeouts {
  /** How long to wait for a client's first bytes before calling the stream opaque TCP. */
  detectMs: number;
  /** A TLS handshake that takes longer is cut. */
  handshakeMs: number;
  /** Connect timeout towards an upstream. */
  connectMs: number;
  /** An opaque TCP connection idle this long is closed. */
  tcpIdleMs: number;
}

export const defaultTimeouts: Timeouts = {
  detectMs: 5_000,
  handshakeMs: 10_000,
  connectMs: 5_000,
  tcpIdleMs: 3_600_000,
};
