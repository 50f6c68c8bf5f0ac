import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { apiVersion } from '../../src/api/names.js';
import type { ProxyConfig } from '../../src/api/proxy-config.js';

/**
 * The benchmark's mesh: `namespaces` meshed namespaces, each with `scalePerNamespace` services that
 * the burst scales between 1 and 10 endpoints and as many background services of 10 endpoints as the
 * target size needs. Every endpoint is a meshed pod (bound to a registered Node, run by nothing) named
 * in a hand-written EndpointSlice, as the EndpointSlice controller would write it.
 */
export const namespaces = 10;
export const scalePerNamespace = 5;
export const endpointsPerService = 10;
export const node = 'bench-node';
export const serviceAccount = 'bench';
export const routeName = 'split';

export const namespaceName = (i: number) => `bench-${i}`;
export const scaleService = (i: number) => `scale-${i}`;
export const backgroundService = (i: number) => `bg-${i}`;

/** Background services per namespace so that the mesh holds `total` endpoints with the burst scaled up. */
export function backgroundPerNamespace(total: number): number {
  const scaled = namespaces * scalePerNamespace * endpointsPerService;
  return Math.max(0, Math.round((total - scaled) / (namespaces * endpointsPerService)));
}

export function service(name: string): V1Service {
  return { metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
}

/** A meshed pod as the injector leaves it (a `trellis-proxy` container), already bound to the bench Node. */
export function pod(name: string, app: string): V1Pod {
  return {
    metadata: { name, labels: { app } },
    spec: {
      nodeName: node,
      serviceAccountName: serviceAccount,
      containers: [
        { name: 'trellis-proxy', image: 'registry.invalid/proxy:1' },
        { name: 'app', image: 'registry.invalid/app:1' },
      ],
    },
  };
}

export const podName = (svc: string, j: number) => `${svc}-${j}`;

/** 10.<namespace>.<service>.<endpoint+1>: unique, and stable for a given pod. */
const ipOf = (nsIndex: number, svcIndex: number, j: number) => `10.${nsIndex}.${svcIndex}.${j + 1}`;

/** The service's slice listing its first `count` pods, all ready. */
export function slice(nsIndex: number, svc: string, svcIndex: number, count: number): V1EndpointSlice {
  return {
    metadata: {
      name: `${svc}-bench`,
      labels: {
        'kubernetes.io/service-name': svc,
        'endpointslice.kubernetes.io/managed-by': 'trellis-bench',
      },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: count }, (_, j) => ({
      addresses: [ipOf(nsIndex, svcIndex, j)],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: podName(svc, j), namespace: namespaceName(nsIndex) },
    })),
  };
}

/** Index of a service within its namespace, for its addresses: scale services first. */
export const scaleIndex = (i: number) => i;
export const backgroundIndex = (i: number) => scalePerNamespace + i;

/** A route in bench-0 splitting scale-0's traffic between scale-0 and scale-1. */
export function route(weight: number) {
  return {
    apiVersion,
    kind: 'TrafficRoute',
    metadata: { name: routeName },
    spec: {
      service: scaleService(0),
      rules: [
        {
          destinations: [
            { service: scaleService(0), weight },
            { service: scaleService(1), weight: 100 - weight },
          ],
        },
      ],
    },
  };
}

/** The route's first weight in a document, as the proxy would read it. */
export function routeWeight(doc: ProxyConfig): number | undefined {
  const source = `TrafficRoute ${namespaceName(0)}/${routeName}`;
  return doc.policies?.routes.find((r) => r.source === source)?.rules[0]?.destinations[0]?.weight;
}

/** Endpoint counts the documents should show: `<namespace>/<service>` → count. */
export type Expected = Map<string, number>;

/** True when `doc` lists every expected service with exactly the expected number of endpoints. */
export function matches(doc: ProxyConfig, expected: Expected): boolean {
  let seen = 0;
  for (const s of doc.services) {
    const want = expected.get(`${s.namespace}/${s.name}`);
    if (want === undefined) continue;
    if (s.endpoints.length !== want) return false;
    seen++;
  }
  return seen === expected.size;
}
