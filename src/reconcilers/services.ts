import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { annotations, spiffeId } from '../api/names.js';
import type { Endpoint, Service } from '../api/proxy-config.js';
import { isMeshed, serviceAccountOf } from './meshed.js';
import { parseOpaquePorts, portProtocol } from './protocol.js';
import { workloadOf } from './workload.js';

const serviceNameLabel = 'kubernetes.io/service-name';
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Numeric address order (10.0.0.9 before 10.0.0.10), so the document reads naturally. */
function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const nsName = (ns: string | undefined, name: string | undefined) => `${ns ?? ''}/${name ?? ''}`;

function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => byName(a, b)));
}

/** The endpoint for one address of a slice; meshed pods get their SPIFFE ID. */
function endpointFor(
  ip: string,
  ready: boolean,
  ports: Record<string, number>,
  pod: V1Pod | undefined,
  trustDomain: string,
  labelKeys: ReadonlySet<string>,
): Endpoint {
  const ep: Endpoint = { ip, ports, ready, labels: {} };
  if (!pod) return ep;
  ep.pod = pod.metadata?.name;
  ep.workload = workloadOf(pod);
  ep.labels = sortedRecord(Object.entries(pod.metadata?.labels ?? {}).filter(([k]) => labelKeys.has(k)));
  if (isMeshed(pod)) {
    ep.identity = spiffeId(trustDomain, pod.metadata?.namespace ?? '', serviceAccountOf(pod));
  }
  return ep;
}

/**
 * Endpoints of one Service from its IPv4 EndpointSlices. An address listed by two slices (allowed
 * while the controller moves endpoints) is one endpoint: ports merged, ready when either says so.
 */
function endpointsOf(
  slices: readonly V1EndpointSlice[],
  pods: Map<string, V1Pod>,
  trustDomain: string,
  labelKeys: ReadonlySet<string>,
): Endpoint[] {
  const byIp = new Map<string, Endpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const ports: Array<[string, number]> = [];
    for (const p of slice.ports ?? []) {
      if ((p.protocol ?? 'TCP') === 'TCP' && p.port !== undefined) ports.push([p.name ?? '', p.port]);
    }
    // The controller writes `endpoints: null` for a slice with none, whatever the type says.
    for (const e of slice.endpoints ?? []) {
      // Kubernetes: an unknown ready condition is to be read as ready.
      const ready = e.conditions?.ready ?? true;
      const ref = e.targetRef?.kind === 'Pod' ? e.targetRef : undefined;
      const pod = ref ? pods.get(nsName(ref.namespace ?? slice.metadata?.namespace, ref.name)) : undefined;
      for (const ip of e.addresses) {
        if (!ipv4.test(ip)) continue;
        const seen = byIp.get(ip);
        if (seen) {
          seen.ports = sortedRecord([...Object.entries(seen.ports), ...ports]);
          seen.ready ||= ready;
        } else {
          byIp.set(ip, endpointFor(ip, ready, sortedRecord(ports), pod, trustDomain, labelKeys));
        }
      }
    }
  }
  return [...byIp.values()].sort((a, b) => compareIp(a.ip, b.ip));
}

/**
 * The `services` section: every Service with its IPv4 ClusterIPs, TCP ports (protocol detected) and
 * endpoints, sorted by namespace and name. ExternalName Services have no address the proxy could
 * match and are left out; UDP and SCTP ports are left out because the proxy captures TCP only.
 * Endpoint labels are the pod's labels whose keys are in `labelKeys` (those some subset or workload selector uses):
 * they match exactly as with every label, and the document stays small (per-pod labels such as
 * pod-template-hash would cost ~15% of its size for nothing).
 */
export function desiredServices(
  state: {
    services: readonly V1Service[];
    endpointSlices: readonly V1EndpointSlice[];
    pods: readonly V1Pod[];
  },
  trustDomain: string,
  labelKeys: ReadonlySet<string>,
): Service[] {
  const pods = new Map(state.pods.map((p) => [nsName(p.metadata?.namespace, p.metadata?.name), p]));
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const slice of state.endpointSlices) {
    const svc = slice.metadata?.labels?.[serviceNameLabel];
    if (!svc) continue;
    const key = nsName(slice.metadata?.namespace, svc);
    slicesByService.set(key, [...(slicesByService.get(key) ?? []), slice]);
  }
  const out: Service[] = [];
  for (const svc of state.services) {
    const name = svc.metadata?.name;
    const namespace = svc.metadata?.namespace;
    if (!name || !namespace || svc.spec?.type === 'ExternalName') continue;
    const isOpaque = parseOpaquePorts(svc.metadata?.annotations?.[annotations.opaquePorts]);
    const clusterIps = (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []))
      .filter((ip) => ipv4.test(ip))
      .sort(compareIp);
    const ports = (svc.spec?.ports ?? [])
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => {
        const protocol = portProtocol(p, isOpaque);
        return { name: p.name ?? '', port: p.port, ...(protocol ? { protocol } : {}) };
      })
      .sort((a, b) => a.port - b.port || byName(a.name, b.name));
    const slices = slicesByService.get(nsName(namespace, name)) ?? [];
    out.push({
      name,
      namespace,
      clusterIps,
      ports,
      endpoints: endpointsOf(slices, pods, trustDomain, labelKeys),
    });
  }
  return out.sort((a, b) => byName(a.namespace, b.namespace) || byName(a.name, b.name));
}
