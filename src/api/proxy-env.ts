import { mountPaths } from './names.js';

/**
 * The environment the injector gives trellis-proxy (downward API and
 * settings). The proxy reads nothing else about its pod.
 */
export const proxyEnv = {
  podName: 'TRELLIS_POD_NAME',
  podNamespace: 'TRELLIS_POD_NAMESPACE',
  podIp: 'TRELLIS_POD_IP',
  serviceAccount: 'TRELLIS_SERVICE_ACCOUNT',
  logLevel: 'TRELLIS_LOG_LEVEL',
  /** Comma-separated inbound ports to proxy as opaque TCP (the `opaque-ports` setting). */
  opaquePorts: 'TRELLIS_OPAQUE_PORTS',
  configDir: 'TRELLIS_CONFIG_DIR',
  identityDir: 'TRELLIS_IDENTITY_DIR',
  /** Downward API volume with the pod's `labels` (for policy selectors) and `annotations`. */
  podInfoDir: 'TRELLIS_POD_INFO_DIR',
} as const;

export const proxyEnvDefaults = {
  [proxyEnv.logLevel]: 'info',
  [proxyEnv.configDir]: mountPaths.config,
  [proxyEnv.identityDir]: mountPaths.identity,
  [proxyEnv.podInfoDir]: mountPaths.podInfo,
} as const;
