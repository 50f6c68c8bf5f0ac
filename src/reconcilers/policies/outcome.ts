import type { Condition } from '../../api/crds/index.js';

export type Verdict = Pick<Condition, 'status' | 'reason' | 'message'>;

/**
 * What became of one mesh CR: its `Accepted` and `ResolvedRefs` verdicts, ready for
 * policy-conditions.ts to stamp with generation and transition time. An object that is not accepted
 * contributes nothing to the proxy config.
 */
export interface PolicyOutcome {
  kind: 'TrafficRoute' | 'DestinationPolicy' | 'PeerAuthentication' | 'AuthorizationPolicy';
  namespace: string;
  name: string;
  accepted: Verdict;
  resolvedRefs: Verdict;
}

/** A refusal found while compiling: `reason` is the Accepted condition's CamelCase reason. */
export class PolicyError extends Error {
  constructor(
    readonly reason: 'Invalid' | 'InvalidRegex' | 'Conflicted',
    message: string,
  ) {
    super(message);
  }
}

export const acceptedOk: Verdict = {
  status: 'True',
  reason: 'Accepted',
  message: 'the spec is valid and in effect',
};
export const refsOk: Verdict = {
  status: 'True',
  reason: 'ResolvedRefs',
  message: 'every reference resolves',
};

/** How every refusal's Accepted message begins. */
export const notInEffect = 'not in effect: ';

export function refused(err: PolicyError): { accepted: Verdict; resolvedRefs: Verdict } {
  return refusedWith({ status: 'False', reason: err.reason, message: `${notInEffect}${err.message}` });
}

/** Both verdicts of a refused object, from its Accepted verdict. */
export function refusedWith(accepted: Verdict): { accepted: Verdict; resolvedRefs: Verdict } {
  return {
    accepted,
    resolvedRefs: {
      status: 'Unknown',
      reason: accepted.reason,
      message: 'references are not checked: the policy is not in effect',
    },
  };
}

/** ResolvedRefs for a list of what is missing (`Service shop/x`, `subset v2 of Service shop/x`, ...). */
export function refsVerdict(missing: readonly string[]): Verdict {
  if (missing.length === 0) return refsOk;
  const sorted = [...new Set(missing)].sort();
  const reason = sorted.some((m) => m.startsWith('Service '))
    ? 'ServiceNotFound'
    : sorted.some((m) => m.startsWith('port '))
      ? 'PortNotFound'
      : 'SubsetNotFound';
  return { status: 'False', reason, message: `not found: ${sorted.join(', ')}` };
}
