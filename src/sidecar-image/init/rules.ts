import type { InitOptions } from '../../api/init-options.js';
import { ports } from '../../api/names.js';
import { normalizeCidr, sortCidrs } from './cidr.js';

/** Every chain trellis-init owns starts with this; re-runs find their own rules by it. */
export const chainPrefix = 'TRELLIS_';

export const chains = {
  /** PREROUTING jumps here: traffic arriving at the pod. */
  inbound: 'TRELLIS_INBOUND',
  inRedirect: 'TRELLIS_IN_REDIRECT',
  /** OUTPUT jumps here: traffic the pod's processes send. */
  output: 'TRELLIS_OUTPUT',
  redirect: 'TRELLIS_REDIRECT',
} as const;

/** The nat table's part that trellis-init owns: its chains, and every rule as an `-A` line. */
export interface NatRules {
  chains: readonly string[];
  rules: readonly string[];
}

const wildcard = '0.0.0.0/0';
const loopback = '127.0.0.1/32';

const uniqueSorted = (values: readonly number[]) => [...new Set(values)].sort((a, b) => a - b);

/**
 * The rules for one pod, a pure function of the options. Lines are spelled,
 * and ordered chain by chain, exactly as `iptables-save` prints them back, so
 * the applied table can be compared with this text line for line.
 */
export function buildRules(opts: InitOptions): NatRules {
  const { inbound, inRedirect, output, redirect } = chains;
  const uid = opts.proxyUid;
  const gid = opts.proxyGid;
  const ret = (chain: string) => (port: number) => `-A ${chain} -p tcp -m tcp --dport ${port} -j RETURN`;

  const excludedCidrs = sortCidrs(opts.excludeOutboundCidrs.map(normalizeCidr));
  const includedCidrs = sortCidrs(opts.includeOutboundCidrs.map(normalizeCidr));
  const excludesAll = excludedCidrs.includes(wildcard);
  const includesAll = includedCidrs.includes(wildcard);
  const destination = (cidr: string) => (cidr === wildcard ? '' : `-d ${cidr} `);

  const outboundCidrRules = [
    ...(excludesAll ? [wildcard] : excludedCidrs).map((cidr) => `-A ${output} ${destination(cidr)}-j RETURN`),
    // Once everything is excluded, an include could never match.
    ...(excludesAll ? [] : includesAll ? [wildcard] : includedCidrs).map(
      (cidr) => `-A ${output} ${destination(cidr)}-j ${redirect}`,
    ),
  ];

  return {
    chains: [inbound, inRedirect, output, redirect],
    rules: [
      `-A PREROUTING -p tcp -j ${inbound}`,
      `-A OUTPUT -p tcp -j ${output}`,

      // Inbound: the admin port stays reachable directly (kubelet probes), as do excluded ports.
      ...uniqueSorted([ports.admin, ...opts.excludeInboundPorts]).map(ret(inbound)),
      `-A ${inbound} -p tcp -j ${inRedirect}`,
      `-A ${inRedirect} -p tcp -j REDIRECT --to-ports ${opts.inboundCapturePort}`,

      // Outbound: excluded ports first, whoever sends them.
      ...uniqueSorted(opts.excludeOutboundPorts).map(ret(output)),
      // The proxy calling its own pod's IP (a Service backed by this very pod) goes
      // through inbound handling, so calls to self get the same policy as calls from peers.
      `-A ${output} ! -d ${loopback} -o lo -m owner --uid-owner ${uid} -j ${inRedirect}`,
      // Anyone else talking to this pod over lo (127.0.0.1, or the pod IP) talks directly.
      `-A ${output} -o lo -m owner ! --uid-owner ${uid} -j RETURN`,
      // The proxy's own traffic is never captured again: that would loop.
      `-A ${output} -m owner --uid-owner ${uid} -j RETURN`,
      `-A ${output} -m owner --gid-owner ${gid} -j RETURN`,
      ...outboundCidrRules,
      `-A ${redirect} -p tcp -j REDIRECT --to-ports ${opts.outboundCapturePort}`,
    ],
  };
}

/** The rules as a standalone iptables-restore document (also what the golden files hold). */
export function renderRules(nat: NatRules): string {
  return ['*nat', ...nat.chains.map((chain) => `:${chain} - [0:0]`), ...nat.rules, 'COMMIT', ''].join('\n');
}
