import { initOptions } from '../api/init-options.js';
import { annotations } from '../api/names.js';
import { type InjectionSettings, logLevels } from './settings.js';

/** Settings after a pod's `trellis.dev/<setting>` annotations are applied. */
export interface EffectiveSettings extends InjectionSettings {
  native: boolean;
}

export type OverrideResult = { ok: true; settings: EffectiveSettings } | { ok: false; errors: string[] };

const quantity = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function ports(key: string, value: string, errors: string[]): number[] {
  return list(value).flatMap((s) => {
    const n = Number(s);
    if (Number.isInteger(n) && n >= 1 && n <= 65535) return [n];
    errors.push(`${key}: "${s}" is not a port`);
    return [];
  });
}

function bool(key: string, value: string, errors: string[]): boolean | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  errors.push(`${key}: "${value}" must be "true" or "false"`);
  return undefined;
}

/**
 * Applies the per-pod overrides. A bad value refuses the pod (with every
 * problem listed) rather than meshing it differently from what it asked for.
 */
export function applyOverrides(
  base: InjectionSettings,
  native: boolean,
  podAnnotations: Record<string, string>,
): OverrideResult {
  const errors: string[] = [];
  const s: EffectiveSettings = structuredClone({ ...base, native });
  const get = (key: string) => podAnnotations[key];

  let v = get(annotations.excludeInboundPorts);
  if (v !== undefined) s.excludeInboundPorts = ports(annotations.excludeInboundPorts, v, errors);
  v = get(annotations.excludeOutboundPorts);
  if (v !== undefined) s.excludeOutboundPorts = ports(annotations.excludeOutboundPorts, v, errors);
  v = get(annotations.opaquePorts);
  if (v !== undefined) s.opaquePorts = ports(annotations.opaquePorts, v, errors);
  v = get(annotations.excludeOutboundIpRanges);
  if (v !== undefined) s.excludeOutboundCidrs = list(v);
  v = get(annotations.includeOutboundIpRanges);
  if (v !== undefined) s.includeOutboundCidrs = list(v);
  // The CIDR rules are trellis-init's own; check them there so both ends agree.
  const cidrs = initOptions.pick({ includeOutboundCidrs: true, excludeOutboundCidrs: true }).safeParse({
    includeOutboundCidrs: s.includeOutboundCidrs,
    excludeOutboundCidrs: s.excludeOutboundCidrs,
  });
  if (!cidrs.success) {
    for (const issue of cidrs.error.issues) {
      const key =
        issue.path[0] === 'includeOutboundCidrs'
          ? annotations.includeOutboundIpRanges
          : annotations.excludeOutboundIpRanges;
      const bad = s[issue.path[0] as 'includeOutboundCidrs'][Number(issue.path[1])];
      errors.push(`${key}: "${bad}" is not an IPv4 CIDR`);
    }
  }

  v = get(annotations.proxyCpu);
  if (v !== undefined) {
    if (quantity.test(v)) s.proxyResources.requests.cpu = v;
    else errors.push(`${annotations.proxyCpu}: "${v}" is not a CPU quantity`);
  }
  v = get(annotations.proxyMemory);
  if (v !== undefined) {
    // Request and limit together: a request above the mesh-wide limit would make the pod invalid.
    if (quantity.test(v)) {
      s.proxyResources.requests.memory = v;
      s.proxyResources.limits.memory = v;
    } else errors.push(`${annotations.proxyMemory}: "${v}" is not a memory quantity`);
  }
  v = get(annotations.logLevel);
  if (v !== undefined) {
    const level = logLevels.find((l) => l === v);
    if (level) s.logLevel = level;
    else errors.push(`${annotations.logLevel}: "${v}" must be one of ${logLevels.join(', ')}`);
  }
  v = get(annotations.nativeSidecar);
  if (v !== undefined) s.native = bool(annotations.nativeSidecar, v, errors) ?? s.native;
  v = get(annotations.holdApplication);
  if (v !== undefined) s.holdApplication = bool(annotations.holdApplication, v, errors) ?? s.holdApplication;

  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings: s };
}
