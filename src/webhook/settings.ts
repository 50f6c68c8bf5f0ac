import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The injector's only input besides the pod: what to inject. The operator
 * renders it from the MeshConfig into a ConfigMap mounted into the injector
 * (file given by `--settings`); `trellisctl inject --settings` reads the same
 * file. Every field has a default, so `{}` is a valid file.
 */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'not a resource quantity');
const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const resources = z.strictObject({
  requests: resourceList.default({}),
  limits: resourceList.default({}),
});
const port = z.number().int().min(1).max(65535);

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const injectionSettings = z.strictObject({
  /** Repository without a tag: one image holds both commands (DESIGN.md), tagged `version`. */
  image: z
    .string()
    .min(1)
    .refine(
      (s) => !s.includes('@') && !/:[^/]*$/.test(s),
      'must carry no tag or digest (the tag is `version`)',
    )
    .default('ghcr.io/trellis-mesh/trellis-sidecar'),
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must also be a valid label value')
    .default('0.1.0'),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  initCommand: z.array(z.string()).min(1).default(['trellis-init']),
  proxyCommand: z.array(z.string()).min(1).default(['trellis-proxy']),
  proxyResources: resources.default({
    requests: { cpu: '100m', memory: '64Mi' },
    limits: { memory: '256Mi' },
  }),
  initResources: resources.default({
    requests: { cpu: '10m', memory: '16Mi' },
    limits: { cpu: '100m', memory: '64Mi' },
  }),
  logLevel: z.enum(logLevels).default('info'),
  /** `auto`: native when the API server is ≥ 1.29 (sidecar containers are on by default there). */
  nativeSidecar: z.enum(['auto', 'on', 'off']).default('auto'),
  /** Start the app only once the proxy is ready (startupProbe for native sidecars, postStart otherwise). */
  holdApplication: z.boolean().default(true),
  holdTimeoutSeconds: z.number().int().min(1).max(600).default(120),
  excludeInboundPorts: z.array(port).default([]),
  excludeOutboundPorts: z.array(port).default([]),
  includeOutboundCidrs: z.array(z.cidrv4()).default(['0.0.0.0/0']),
  excludeOutboundCidrs: z.array(z.cidrv4()).default([]),
  /** Server-speaks-first protocols that protocol detection cannot handle (SMTP, MySQL, Postgres, Redis...). */
  opaquePorts: z.array(port).default([25, 587, 3306, 4444, 5432, 6379, 9300, 11211]),
  rewriteProbes: z.boolean().default(true),
  mergePrometheus: z.boolean().default(true),
});
export type InjectionSettings = z.infer<typeof injectionSettings>;
export type InjectionSettingsInput = z.input<typeof injectionSettings>;

export const defaultSettings: InjectionSettings = injectionSettings.parse({});

/** Parses a settings document (JSON, as the ConfigMap key holds it); throws with every problem listed. */
export function parseSettings(text: string): InjectionSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`settings are not JSON: ${(err as Error).message}`);
  }
  const result = injectionSettings.safeParse(raw);
  if (!result.success) throw new Error(`invalid settings:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function loadSettings(path: string): Promise<InjectionSettings> {
  return parseSettings(await readFile(path, 'utf8'));
}

/** The first API server release whose kubelets run sidecar containers by default. */
const nativeSidecarSince = { major: 1, minor: 29 };

/** Reads `major`/`minor` as `/version` reports them (GKE and EKS append `+` to minor). */
export function supportsNativeSidecars(version: { major: string; minor: string }): boolean {
  const major = Number.parseInt(version.major, 10);
  const minor = Number.parseInt(version.minor, 10);
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return false;
  return (
    major > nativeSidecarSince.major ||
    (major === nativeSidecarSince.major && minor >= nativeSidecarSince.minor)
  );
}

/** What `nativeSidecar` means for this cluster; an unknown server version falls back to classic sidecars. */
export function resolveNativeSidecar(
  mode: InjectionSettings['nativeSidecar'],
  serverVersion: { major: string; minor: string } | undefined,
): boolean {
  if (mode !== 'auto') return mode === 'on';
  return serverVersion !== undefined && supportsNativeSidecars(serverVersion);
}
