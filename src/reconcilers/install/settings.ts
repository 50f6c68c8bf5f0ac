import { z } from 'zod';
import type { MeshConfigSpec } from '../../api/crds/index.js';
import { type InjectionSettings, injectionSettings } from '../../webhook/settings.js';
import { canonicalJson } from '../canonical-json.js';
import { defaultProxyImage } from './version.js';

/** The ConfigMap key the injector's `--settings` file is mounted from. */
export const settingsKey = 'settings.json';

/**
 * The injector's settings file from the MeshConfig: sidecar image and version, proxy resources, log
 * level, native sidecar, hold application. Checked with the injector's own schema before anything is
 * written, so a MeshConfig the CRD lets through but the injector would refuse (an image with a tag)
 * is reported instead of breaking every injector replica. Outbound policy, tracing and access logs
 * reach the proxies through their proxy config, and namespace exclusions through the webhook's
 * namespaceSelector: the settings file has no field for them.
 */
export function injectorSettings(
  spec: MeshConfigSpec,
  version: string,
): { ok: true; settings: InjectionSettings; json: string } | { ok: false; message: string } {
  const { proxy } = spec;
  // The CRD takes quantities as numbers too (cpu: 1); the settings file wants strings.
  type Quantity = string | number | undefined;
  const resourceList = (list: { cpu?: Quantity; memory?: Quantity }) => ({
    ...(list.cpu !== undefined ? { cpu: String(list.cpu) } : {}),
    ...(list.memory !== undefined ? { memory: String(list.memory) } : {}),
  });
  const parsed = injectionSettings.safeParse({
    image: proxy.image ?? defaultProxyImage,
    version,
    proxyResources: {
      requests: resourceList(proxy.resources.requests),
      limits: resourceList(proxy.resources.limits),
    },
    logLevel: proxy.logLevel,
    nativeSidecar: proxy.nativeSidecar,
    holdApplication: proxy.holdApplication,
  });
  if (!parsed.success) {
    return {
      ok: false,
      message: `the injector would refuse these settings: ${z.prettifyError(parsed.error)}`,
    };
  }
  return { ok: true, settings: parsed.data, json: canonicalJson(parsed.data) };
}
