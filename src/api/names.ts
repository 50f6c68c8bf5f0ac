/**
 * The names every moving part shares (../shared/DESIGN.md). Import them;
 * never spell them out again.
 */
export const group = 'trellis.dev';
export const apiVersion = `${group}/v1alpha1`;

export const controlPlaneNamespace = 'trellis-system';
export const fieldManager = 'trellis-operator';

export const annotations = {
  inject: 'trellis.dev/inject',
  status: 'trellis.dev/status',
  excludeInboundPorts: 'trellis.dev/exclude-inbound-ports',
  excludeOutboundPorts: 'trellis.dev/exclude-outbound-ports',
  excludeOutboundIpRanges: 'trellis.dev/exclude-outbound-ip-ranges',
  includeOutboundIpRanges: 'trellis.dev/include-outbound-ip-ranges',
  proxyCpu: 'trellis.dev/proxy-cpu',
  proxyMemory: 'trellis.dev/proxy-memory',
  logLevel: 'trellis.dev/log-level',
  nativeSidecar: 'trellis.dev/native-sidecar',
  holdApplication: 'trellis.dev/hold-application',
  opaquePorts: 'trellis.dev/opaque-ports',
  proxyVersion: 'trellis.dev/proxy-version',
} as const;

/** Namespace label value that turns injection on for every pod in it. */
export const namespaceInjectLabel = { key: 'trellis.dev/inject', enabled: 'enabled' } as const;

export const ports = {
  outboundCapture: 15001,
  inboundCapture: 15006,
  admin: 15020,
} as const;

/** The proxy runs as this UID/GID; iptables leaves its own traffic uncaptured by owner match. */
export const proxyUid = 1337;
export const proxyGid = 1337;

export const containers = {
  init: 'trellis-init',
  proxy: 'trellis-proxy',
} as const;

export const proxyConfigMap = { name: 'trellis-proxy-config', key: 'config.json' } as const;
export const identitySecretName = (serviceAccount: string) => `trellis-identity-${serviceAccount}`;

export const mountPaths = {
  config: '/etc/trellis/config',
  identity: '/etc/trellis/identity',
  /** Downward API files: the pod's labels and annotations. */
  podInfo: '/etc/trellis/pod',
} as const;

export const identityFiles = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

export const metricPrefix = 'trellis_';

/** The SPIFFE ID of a workload: its trust domain, namespace and service account. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
