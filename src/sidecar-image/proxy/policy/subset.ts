import type { Endpoint } from '../../../api/proxy-config.js';

/** Whether `have` includes every label of `want` (an empty `want` selects everything). */
export function labelsMatch(
  want: Readonly<Record<string, string>>,
  have: Readonly<Record<string, string>>,
): boolean {
  for (const key in want) if (have[key] !== want[key]) return false;
  return true;
}

/**
 * The endpoints of a subset: those whose pod labels include the subset's. Run at config load (and
 * when endpoints change), never per request: the request path reads the list it made.
 */
export function subsetEndpoints<E extends Pick<Endpoint, 'labels'>>(
  endpoints: readonly E[],
  labels: Readonly<Record<string, string>>,
): E[] {
  return endpoints.filter((e) => labelsMatch(labels, e.labels));
}
