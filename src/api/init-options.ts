import { z } from 'zod';
import { ports, proxyGid, proxyUid } from './names.js';

/**
 * What trellis-init is told: the injector renders these as the init
 * container's arguments (`toInitArgs`), trellis-init reads them back
 * (`parseInitArgs`). One definition for both ends.
 */
const port = z.number().int().min(1).max(65535);

export const initOptions = z.strictObject({
  proxyUid: z.number().int().min(0).default(proxyUid),
  proxyGid: z.number().int().min(0).default(proxyGid),
  inboundCapturePort: port.default(ports.inboundCapture),
  outboundCapturePort: port.default(ports.outboundCapture),
  /** Inbound ports left uncaptured; the admin port always is (kubelet probes reach it directly). */
  excludeInboundPorts: z.array(port).default([]),
  excludeOutboundPorts: z.array(port).default([]),
  /** Outbound destinations captured; everything else goes out directly. */
  includeOutboundCidrs: z.array(z.cidrv4()).default(['0.0.0.0/0']),
  excludeOutboundCidrs: z.array(z.cidrv4()).default([]),
});
export type InitOptions = z.infer<typeof initOptions>;
export type InitOptionsInput = z.input<typeof initOptions>;

const flags: Record<keyof InitOptions, string> = {
  proxyUid: '--proxy-uid',
  proxyGid: '--proxy-gid',
  inboundCapturePort: '--inbound-capture-port',
  outboundCapturePort: '--outbound-capture-port',
  excludeInboundPorts: '--exclude-inbound-ports',
  excludeOutboundPorts: '--exclude-outbound-ports',
  includeOutboundCidrs: '--include-outbound-cidrs',
  excludeOutboundCidrs: '--exclude-outbound-cidrs',
};

/** Every option as `--flag value` pairs, lists comma-separated, in a fixed order. */
export function toInitArgs(input: InitOptionsInput): string[] {
  const opts = initOptions.parse(input);
  return (Object.keys(flags) as (keyof InitOptions)[]).flatMap((key) => {
    const value = opts[key];
    return [flags[key], Array.isArray(value) ? value.join(',') : String(value)];
  });
}

/** Reads arguments back; throws naming the flag when one is unknown, repeated, or bad. */
export function parseInitArgs(argv: string[]): InitOptions {
  const byFlag = new Map(Object.entries(flags).map(([key, flag]) => [flag, key as keyof InitOptions]));
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const key = byFlag.get(flag);
    if (!key) throw new Error(`unknown flag ${flag}`);
    if (key in raw) throw new Error(`${flag} given twice`);
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const list = value === '' ? [] : value.split(',');
    raw[key] = key.endsWith('Cidrs') ? list : key.endsWith('Ports') ? list.map(Number) : Number(value);
  }
  const result = initOptions.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '') as keyof InitOptions;
    throw new Error(`${flags[key] ?? 'arguments'}: ${issue?.message}`);
  }
  return result.data;
}
