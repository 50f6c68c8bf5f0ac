import type { RouteRule } from '../../../api/proxy-config-policies.js';

/**
 * Percentage decisions (faults, mirroring) as Istio makes them: one draw per request and decision,
 * taken when `random() × 100 < percent`, so 0 never and 100 always fires. The random source is
 * injected: tests pass a sequence and count exactly.
 */
export function sampled(percent: number, random: () => number): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return random() * 100 < percent;
}

/** What the fault block does to one request: abort wins (no point delaying a request never sent). */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'abort'; httpStatus: number; delayMs: number };

const none: FaultDecision = { kind: 'none' };

/**
 * Delay and abort are drawn independently, as Envoy's fault filter does: a request can be delayed,
 * then aborted (the caller waits, then gets the error; flags DI and FI).
 */
export function faultFor(fault: RouteRule['fault'], random: () => number): FaultDecision {
  if (!fault) return none;
  const delayMs = fault.delay && sampled(fault.delay.percent, random) ? fault.delay.delayMs : 0;
  if (fault.abort && sampled(fault.abort.percent, random)) {
    return { kind: 'abort', httpStatus: fault.abort.httpStatus, delayMs };
  }
  return delayMs > 0 ? { kind: 'delay', delayMs } : none;
}
