import type { KubernetesObject } from '@kubernetes/client-node';

/** Equality-based selection (a label selector's `matchLabels`): every given label has the given value. */
export function matchesLabels(obj: KubernetesObject, labels: Readonly<Record<string, string>>): boolean {
  const own = obj.metadata?.labels ?? {};
  return Object.entries(labels).every(([name, value]) => own[name] === value);
}
