import { z } from 'zod';
import { type TrafficPolicies, trafficPolicies } from './proxy-config-policies.js';

/**
 * The proxy configuration: the document the proxy-config reconciler writes
 * into ConfigMap `trellis-proxy-config` (key `config.json`) for each
 * namespace with meshed pods, and the only thing the proxy reads to know the
 * mesh. One schema, imported by both sides; docs/proxy-config.md explains it.
 */

const port = z.number().int().min(1).max(65535);
const name = z.string().min(1).max(253);

export const mtlsMode = z.enum(['STRICT', 'PERMISSIVE', 'DISABLE']);
export type MtlsMode = z.infer<typeof mtlsMode>;

/** How the proxy handles a port's bytes; absent means detect (HTTP/1.1, h2c, else TCP after a timeout). */
export const portProtocol = z.enum(['http', 'http2', 'grpc', 'tcp']);
export type PortProtocol = z.infer<typeof portProtocol>;

export const servicePort = z.strictObject({
  /** The Service port's name; EndpointSlice ports are matched to it by this name. May be empty. */
  name: z.string(),
  port,
  protocol: portProtocol.optional(),
});

export const endpoint = z.strictObject({
  ip: z.ipv4(),
  /** Target port for each service port name (the EndpointSlice's ports). */
  ports: z.record(z.string(), port),
  ready: z.boolean(),
  pod: name.optional(),
  /** The owning workload (Deployment, StatefulSet, ...), for metrics labels. */
  workload: name.optional(),
  /** Pod labels, for subsets such as `version: v2`. */
  labels: z.record(z.string(), z.string()).default({}),
  /** The peer's SPIFFE ID when it runs a Trellis proxy: talk mTLS to it. Absent: plaintext. */
  identity: z.string().startsWith('spiffe://').optional(),
});
export type Endpoint = z.infer<typeof endpoint>;

export const service = z.strictObject({
  name,
  namespace: name,
  /** Empty for a headless Service: it is then reached by endpoint address only. */
  clusterIps: z.array(z.ipv4()),
  ports: z.array(servicePort),
  endpoints: z.array(endpoint),
  /** Endpoint choice; absent means LEAST_REQUEST (power of two choices). */
  loadBalancer: z.enum(['LEAST_REQUEST', 'ROUND_ROBIN']).optional(),
});
export type Service = z.infer<typeof service>;

export const proxyConfig = z.strictObject({
  schemaVersion: z.literal(1),
  /** The namespace whose pods read this document. */
  namespace: name,
  trustDomain: name,
  /** ALLOW_ANY passes unknown destinations through; REGISTRY_ONLY refuses them. */
  outboundTrafficPolicy: z.enum(['ALLOW_ANY', 'REGISTRY_ONLY']).default('ALLOW_ANY'),
  /** The mesh-wide inbound mTLS mode; PeerAuthentication narrows it per workload and port. */
  mtlsMode: mtlsMode.default('PERMISSIVE'),
  services: z.array(service),
  telemetry: z
    .strictObject({
      accessLog: z.strictObject({ enabled: z.boolean().default(false) }).default({ enabled: false }),
      tracing: z
        .strictObject({
          /** OTLP/HTTP traces endpoint; spans are exported only when it is set. */
          otlpEndpoint: z.url().optional(),
          samplingPercent: z.number().min(0).max(100).default(1),
        })
        .default({ samplingPercent: 1 }),
    })
    .default({ accessLog: { enabled: false }, tracing: { samplingPercent: 1 } }),
  /** Traffic policy compiled from the mesh CRs (proxy-config-policies.ts). Absent: none, all defaults. */
  policies: trafficPolicies.optional(),
});
export type ProxyConfig = z.infer<typeof proxyConfig>;
export type { TrafficPolicies };
/** The document as written, before defaults are filled. */
export type ProxyConfigInput = z.input<typeof proxyConfig>;

export type ParseResult = { ok: true; config: ProxyConfig } | { ok: false; error: string };

/** Parses JSON text; an error names the path of every bad field. */
export function parseProxyConfig(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const result = proxyConfig.safeParse(json);
  if (result.success) return { ok: true, config: result.data };
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return { ok: false, error: issues.join('; ') };
}
