import type { MeshConfigSpec } from '../../api/crds/index.js';
import { desiredCertificates } from './certificates.js';
import { desiredInjector } from './injector.js';
import type { InstallObject, MeshOwner } from './object.js';
import { injectorSettings } from './settings.js';
import type { InstallTarget } from './target.js';
import { resolveVersion } from './version.js';
import { desiredWebhook } from './webhook.js';

export type DesiredInstall =
  | { ok: true; version: string; objects: InstallObject[] }
  | { ok: false; message: string };

/**
 * Everything the install makes, in apply order: the CA chain and serving certificate first (they take
 * longest), then the injector, and the MutatingWebhookConfiguration last, so the API server is never
 * pointed at a Service that does not exist yet. Uninstall deletes the webhook first (reconciler.ts).
 * A MeshConfig the injector could not run with yields the reason and no objects: nothing is applied
 * and what runs stays as it is.
 */
export function desiredInstall(
  spec: MeshConfigSpec,
  target: InstallTarget,
  owner: MeshOwner,
): DesiredInstall {
  const version = resolveVersion(spec.version);
  if (!version.ok) return version;
  const settings = injectorSettings(spec, version.version);
  if (!settings.ok) return settings;
  return {
    ok: true,
    version: version.version,
    objects: [
      ...desiredCertificates(spec, target, owner),
      ...desiredInjector(spec, target, owner, version.version, settings.json),
      desiredWebhook(spec, target, owner),
    ],
  };
}
