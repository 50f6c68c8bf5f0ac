import { z } from 'zod';

/**
 * What the injector tells trellis-proxy's admin server (port 15020) about the
 * application, and what it expects the admin server to serve. The injector
 * writes these; the proxy reads them. One definition for both ends.
 *
 * Probe rewriting: kubelet probes cannot present a mesh certificate, so under
 * STRICT mTLS they would be refused. The injector points every HTTP, TCP and
 * gRPC probe of the app at `GET http://<podIP>:15020/app-health/<container>/<kind>`
 * and passes the original probes in the proxy's env var `TRELLIS_APP_PROBES`
 * (JSON, `appProbes` below). For each path the admin server runs the original
 * probe itself, from UID 1337, against 127.0.0.1 unless the probe names a host
 * (the proxy's own calls to its pod IP are captured inbound, where STRICT mTLS
 * would refuse a plaintext probe), and answers 200 when it succeeds or 503 when it fails:
 * - `httpGet`: the request with its scheme (HTTPS is not verified, as kubelet
 *   does), path and headers; 200–399 is success;
 * - `tcpSocket`: a TCP connect;
 * - `grpc`: `grpc.health.v1.Health/Check` with `service`, SERVING is success.
 * Each check must give up after the probe's own `timeoutSeconds`.
 */
export const appProbesEnv = 'TRELLIS_APP_PROBES';

export const probeKinds = ['liveness', 'readiness', 'startup'] as const;
export type ProbeKind = (typeof probeKinds)[number];

const probePathSuffix: Record<ProbeKind, string> = {
  liveness: 'livez',
  readiness: 'readyz',
  startup: 'startupz',
};

/** The admin path that stands for one container's probe. */
export function appProbePath(container: string, kind: ProbeKind): string {
  return `/app-health/${container}/${probePathSuffix[kind]}`;
}

const port = z.number().int().min(1).max(65535);

/** One original probe, named ports already resolved to numbers (the proxy cannot see container ports). */
export const originalProbe = z.union([
  z.strictObject({
    httpGet: z.strictObject({
      port,
      path: z.string().default('/'),
      host: z.string().optional(),
      scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
      httpHeaders: z.array(z.strictObject({ name: z.string(), value: z.string() })).default([]),
    }),
    timeoutSeconds: z.number().int().min(1).default(1),
  }),
  z.strictObject({
    tcpSocket: z.strictObject({ port, host: z.string().optional() }),
    timeoutSeconds: z.number().int().min(1).default(1),
  }),
  z.strictObject({
    grpc: z.strictObject({ port, service: z.string().optional() }),
    timeoutSeconds: z.number().int().min(1).default(1),
  }),
]);
export type OriginalProbe = z.infer<typeof originalProbe>;
export type OriginalProbeInput = z.input<typeof originalProbe>;

/** `TRELLIS_APP_PROBES`: admin path → the probe it stands for. */
export const appProbes = z.record(z.string().startsWith('/app-health/'), originalProbe);
export type AppProbes = z.infer<typeof appProbes>;

/**
 * Prometheus: the injector points the pod's `prometheus.io/*` scrape
 * annotations at `GET :15020/metrics`. When the app had its own, they are
 * passed in `TRELLIS_APP_METRICS` (JSON, `appMetrics` below) and the admin
 * server appends the app's exposition (fetched from 127.0.0.1) to its own, so
 * the app's metrics stay scrapeable through one endpoint.
 */
export const appMetricsEnv = 'TRELLIS_APP_METRICS';
export const appMetrics = z.strictObject({
  port,
  path: z.string().default('/metrics'),
  scheme: z.enum(['http', 'https']).default('http'),
});
export type AppMetrics = z.infer<typeof appMetrics>;

/** Admin endpoints the injector relies on besides the probe paths. */
export const adminPaths = {
  ready: '/ready',
  live: '/live',
  metrics: '/metrics',
  /**
   * `POST` from 127.0.0.1 only: drain and exit 0. For Jobs when the proxy is
   * not a native sidecar: the app calls it when done so the pod can complete.
   */
  quit: '/quit',
} as const;

/**
 * The proxy binary's subcommand that blocks until the admin server reports
 * ready (or fails after the timeout). Used as the postStart hook of a
 * non-native sidecar, so kubelet starts the app containers only after it.
 */
export const waitReadyArgs = (timeoutSeconds: number) => ['wait-ready', `--timeout=${timeoutSeconds}s`];
