import { namespaceInjectLabel } from '../api/names.js';
import { decide, type InjectReason, type PodLike } from './decision.js';

/**
 * For the operator's drift report: a pod that the injector would mesh today
 * but that runs without the proxy (created while the injector was down and
 * its entry failed open, or before its namespace was labelled). The same rules
 * as admission, so the report and the webhook never disagree.
 */
export function injectionDrift(
  pod: PodLike,
  namespace: { name: string; labels?: Record<string, string> },
): { reason: InjectReason } | undefined {
  const labelled = namespace.labels?.[namespaceInjectLabel.key] === namespaceInjectLabel.enabled;
  const decision = decide(pod, {
    namespace: namespace.name,
    ...(labelled ? { defaultOptIn: 'namespace-label' as const } : {}),
  });
  return decision.inject ? { reason: decision.reason } : undefined;
}
