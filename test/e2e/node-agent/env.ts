import type {
  V1Container,
  V1ObjectFieldSelector,
  V1Pod,
  V1ResourceFieldSelector,
  V1Service,
} from '@kubernetes/client-node';

/** What env resolution reads from the API: a ConfigMap's or Secret's data (Secret values decoded). */
export interface ObjectData {
  configMap: (namespace: string, name: string) => Record<string, string> | undefined;
  secret: (namespace: string, name: string) => Record<string, string> | undefined;
  /** The namespace's Services, for the service-link variables (none when absent). */
  services?: (namespace: string) => V1Service[];
}

/** The downward API's `fieldRef`: a pod field as a string (labels and annotations as `key="value"` lines). */
export function podField(pod: V1Pod, ref: V1ObjectFieldSelector): string {
  const path = ref.fieldPath;
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      throw new Error(`unsupported fieldPath ${path}`);
  }
}

/** The kubelet's format for a whole label or annotation map: sorted `key="value"` lines, quotes escaped. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

const units: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  m: 1e-3,
};

/** A resource quantity as a number (`500m` → 0.5, `1Gi` → 1073741824). */
export function parseQuantity(quantity: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(quantity);
  const unit = units[match?.[2] ?? 'x'];
  if (!match || unit === undefined) throw new Error(`unsupported quantity ${quantity}`);
  return Number(match[1]) * unit;
}

/** The downward API's `resourceFieldRef`: a limit or request divided by the divisor, rounded up as the kubelet does. */
export function resourceField(container: V1Container, ref: V1ResourceFieldSelector): string {
  const [kind, name = ''] = ref.resource.split('.');
  const amounts = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const amount = amounts?.[name];
  // With no limit set, the kubelet reports the node's allocatable; ours is generous and fixed.
  const fallback: Record<string, string> = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };
  const value = parseQuantity(amount ?? (kind === 'limits' ? (fallback[name] ?? '0') : '0'));
  const divisor = parseQuantity(ref.divisor ?? '1');
  return String(Math.ceil(value / divisor));
}

/** `$(VAR)` expanded from the variables defined so far, `$$` an escaped `$`, unknown references left as they are. */
export function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) =>
    name === undefined ? '$' : (vars[name] ?? whole),
  );
}

/**
 * A container's environment as the kubelet builds it: the base variables,
 * then `envFrom` in order, then `env` in order (later wins), `$(VAR)`
 * expanded against what came before. A missing non-optional reference throws,
 * which the kubelet reports as CreateContainerConfigError.
 */
export function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  base: Record<string, string>,
  data: ObjectData,
): Record<string, string> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const vars: Record<string, string> = { ...base };
  const lookup = (kind: 'configMap' | 'secret', name: string, optional: boolean | undefined) => {
    const found = data[kind](namespace, name);
    if (!found && !optional) throw new Error(`${kind} "${name}" not found`);
    return found;
  };
  for (const source of container.envFrom ?? []) {
    const found = source.configMapRef
      ? lookup('configMap', source.configMapRef.name ?? '', source.configMapRef.optional)
      : source.secretRef
        ? lookup('secret', source.secretRef.name ?? '', source.secretRef.optional)
        : undefined;
    for (const [key, value] of Object.entries(found ?? {})) vars[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const entry of container.env ?? []) {
    const from = entry.valueFrom;
    if (!from) {
      vars[entry.name] = expand(entry.value ?? '', vars);
      continue;
    }
    let value: string | undefined;
    if (from.fieldRef) value = podField(pod, from.fieldRef);
    else if (from.resourceFieldRef) {
      const named = from.resourceFieldRef.containerName;
      const target = named ? pod.spec?.containers.find((c) => c.name === named) : container;
      value = resourceField(target ?? container, from.resourceFieldRef);
    } else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef;
      const kind = from.configMapKeyRef ? 'configMap' : 'secret';
      if (!ref) throw new Error(`env ${entry.name}: unsupported valueFrom`);
      value = lookup(kind, ref.name ?? '', ref.optional)?.[ref.key];
      if (value === undefined && !ref.optional)
        throw new Error(`${kind} "${ref.name}" has no key "${ref.key}"`);
    }
    if (value !== undefined) vars[entry.name] = value;
  }
  return vars;
}
