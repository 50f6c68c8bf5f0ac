import type {
  V1Container,
  V1EnvVar,
  V1Probe,
  V1ResourceRequirements,
  V1Volume,
} from '@kubernetes/client-node';
import { toInitArgs } from '../api/init-options.js';
import {
  containers,
  identitySecretName,
  mountPaths,
  ports,
  proxyConfigMap,
  proxyGid,
  proxyUid,
} from '../api/names.js';
import { adminPaths, waitReadyArgs } from '../api/probe-rewrite.js';
import { proxyEnv, proxyEnvDefaults } from '../api/proxy-env.js';
import type { EffectiveSettings } from './overrides.js';

export const volumeNames = {
  config: 'trellis-proxy-config',
  identity: 'trellis-identity',
  podInfo: 'trellis-pod-info',
} as const;

const image = (s: EffectiveSettings) => `${s.image}:${s.version}`;

function resources(r: EffectiveSettings['proxyResources']): V1ResourceRequirements {
  const out: V1ResourceRequirements = {};
  if (Object.keys(r.requests).length > 0) out.requests = { ...r.requests };
  if (Object.keys(r.limits).length > 0) out.limits = { ...r.limits };
  return out;
}

/** trellis-init: writes the capture rules and exits; root for netfilter, but only the two capabilities it needs. */
export function renderInit(s: EffectiveSettings): V1Container {
  return {
    name: containers.init,
    image: image(s),
    imagePullPolicy: s.imagePullPolicy,
    command: s.initCommand,
    args: toInitArgs({
      proxyUid,
      proxyGid,
      inboundCapturePort: ports.inboundCapture,
      outboundCapturePort: ports.outboundCapture,
      excludeInboundPorts: s.excludeInboundPorts,
      excludeOutboundPorts: s.excludeOutboundPorts,
      includeOutboundCidrs: s.includeOutboundCidrs,
      excludeOutboundCidrs: s.excludeOutboundCidrs,
    }),
    resources: resources(s.initResources),
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

export interface ProxyExtras {
  /** `TRELLIS_APP_PROBES` / `TRELLIS_APP_METRICS` and the like, already serialised. */
  env: V1EnvVar[];
}

const adminProbe = (path: string, timing: Omit<V1Probe, 'httpGet'>): V1Probe => ({
  httpGet: { path, port: ports.admin, scheme: 'HTTP' },
  ...timing,
});

export function renderProxyEnv(s: EffectiveSettings): V1EnvVar[] {
  const field = (fieldPath: string) => ({ valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
  return [
    { name: proxyEnv.podName, ...field('metadata.name') },
    { name: proxyEnv.podNamespace, ...field('metadata.namespace') },
    { name: proxyEnv.podIp, ...field('status.podIP') },
    { name: proxyEnv.serviceAccount, ...field('spec.serviceAccountName') },
    { name: proxyEnv.logLevel, value: s.logLevel },
    { name: proxyEnv.opaquePorts, value: s.opaquePorts.join(',') },
    { name: proxyEnv.configDir, value: proxyEnvDefaults[proxyEnv.configDir] },
    { name: proxyEnv.identityDir, value: proxyEnvDefaults[proxyEnv.identityDir] },
    { name: proxyEnv.podInfoDir, value: proxyEnvDefaults[proxyEnv.podInfoDir] },
  ];
}

/**
 * trellis-proxy. Native: an init container with `restartPolicy: Always`,
 * held by a startupProbe (kubelet starts the next containers only once it
 * passes). Classic: the first container, held by a postStart hook that waits
 * for readiness (kubelet starts containers in order and waits on postStart).
 */
export function renderProxy(s: EffectiveSettings, extras: ProxyExtras): V1Container {
  const proxy: V1Container = {
    name: containers.proxy,
    image: image(s),
    imagePullPolicy: s.imagePullPolicy,
    command: s.proxyCommand,
    ports: [{ name: 'trellis-admin', containerPort: ports.admin, protocol: 'TCP' }],
    env: [...renderProxyEnv(s), ...extras.env],
    resources: resources(s.proxyResources),
    readinessProbe: adminProbe(adminPaths.ready, {
      periodSeconds: 2,
      timeoutSeconds: 3,
      failureThreshold: 3,
    }),
    livenessProbe: adminProbe(adminPaths.live, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
    securityContext: {
      runAsUser: proxyUid,
      runAsGroup: proxyGid,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: volumeNames.config, mountPath: mountPaths.config, readOnly: true },
      { name: volumeNames.identity, mountPath: mountPaths.identity, readOnly: true },
      { name: volumeNames.podInfo, mountPath: mountPaths.podInfo, readOnly: true },
    ],
  };
  if (s.native) {
    proxy.restartPolicy = 'Always';
    if (s.holdApplication) {
      proxy.startupProbe = adminProbe(adminPaths.ready, {
        periodSeconds: 1,
        timeoutSeconds: 1,
        failureThreshold: s.holdTimeoutSeconds,
      });
    }
  } else if (s.holdApplication) {
    proxy.lifecycle = {
      postStart: { exec: { command: [...s.proxyCommand, ...waitReadyArgs(s.holdTimeoutSeconds)] } },
    };
  }
  return proxy;
}

/**
 * Proxy config (per namespace, written by the operator) and identity (per
 * ServiceAccount, issued by cert-manager) are required: kubelet keeps the pod
 * in ContainerCreating, with an event naming the missing object, until they
 * exist, rather than starting a proxy that cannot authenticate.
 */
export function renderVolumes(serviceAccount: string): V1Volume[] {
  return [
    { name: volumeNames.config, configMap: { name: proxyConfigMap.name, optional: false } },
    {
      name: volumeNames.identity,
      secret: { secretName: identitySecretName(serviceAccount), optional: false },
    },
    {
      name: volumeNames.podInfo,
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.annotations' } },
        ],
      },
    },
  ];
}
