import { z } from 'zod';
import { proxyEnv, proxyEnvDefaults } from '../../api/proxy-env.js';
import type { PodInfo } from './context.js';

const portList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map(Number),
  )
  .pipe(z.array(z.number().int().min(1).max(65535)));

const schema = z.object({
  [proxyEnv.podName]: z.string().min(1),
  [proxyEnv.podNamespace]: z.string().min(1),
  [proxyEnv.podIp]: z.ipv4(),
  [proxyEnv.serviceAccount]: z.string().min(1),
  [proxyEnv.logLevel]: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
  [proxyEnv.opaquePorts]: portList.default([]),
  [proxyEnv.configDir]: z.string().min(1),
  [proxyEnv.identityDir]: z.string().min(1),
});

export interface ProxySettings {
  pod: PodInfo;
  logLevel: string;
  opaquePorts: number[];
  configDir: string;
  identityDir: string;
}

/** The proxy's settings from the environment the injector wrote; throws naming each bad variable. */
export function readProxyEnv(env: Record<string, string | undefined>): ProxySettings {
  const r = schema.safeParse({ ...proxyEnvDefaults, ...env });
  if (!r.success) {
    throw new Error(
      `bad environment: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const e = r.data;
  return {
    pod: {
      name: e[proxyEnv.podName],
      namespace: e[proxyEnv.podNamespace],
      ip: e[proxyEnv.podIp],
      serviceAccount: e[proxyEnv.serviceAccount],
    },
    logLevel: e[proxyEnv.logLevel],
    opaquePorts: e[proxyEnv.opaquePorts],
    configDir: e[proxyEnv.configDir],
    identityDir: e[proxyEnv.identityDir],
  };
}
