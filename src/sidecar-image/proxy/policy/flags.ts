/**
 * The response flags of the access log and the `response_flags` metric label, in one place. Envoy's
 * letters where Envoy has the condition, so dashboards and habits carry over; `RBAC` is ours
 * (Envoy reports an authorization denial in its response-code details instead of a flag).
 */
export const responseFlags = {
  /** Nothing unusual. */
  none: '-',
  /** No upstream connection could be made (refused, timed out, TLS failed). */
  upstreamConnectFailure: 'UF',
  /** The upstream connection ended before a whole response. */
  upstreamConnectionTermination: 'UC',
  /** The downstream (the caller) went away before the response was written. */
  downstreamConnectionTermination: 'DC',
  /** No ready, non-ejected endpoint to send to. */
  noHealthyUpstream: 'UH',
  /** No route, or a route's destination names a service the proxy does not know. */
  noRoute: 'NR',
  /** A circuit-breaker limit was full: answered 503 at once. */
  upstreamOverflow: 'UO',
  /** Retries stopped by the attempt limit or the retry budget; the last failure is returned. */
  upstreamRetryLimitExceeded: 'URX',
  /** The route's timeout (or the last try's timeout) expired: 504. */
  upstreamRequestTimeout: 'UT',
  /** The local rate limit refused the request: 429. */
  rateLimited: 'RL',
  /** An abort fault answered the request. */
  faultInjected: 'FI',
  /** A delay fault held the request before forwarding. */
  delayInjected: 'DI',
  /** An authorization policy denied the request: 403, or the connection closed for TCP. */
  rbacDenied: 'RBAC',
} as const;

export type ResponseFlag = (typeof responseFlags)[keyof typeof responseFlags];

/**
 * Combines flags the way Envoy prints several: comma-separated, in the order they happened; `-` only
 * when there is none. Allocates, so call it once per request when the log line is written.
 */
export function joinFlags(flags: readonly ResponseFlag[]): string {
  let out = '';
  for (const f of flags) {
    if (f === responseFlags.none || out.split(',').includes(f)) continue;
    out = out === '' ? f : `${out},${f}`;
  }
  return out === '' ? responseFlags.none : out;
}
