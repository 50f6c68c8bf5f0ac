import type {
  KubernetesObject,
  V1Container,
  V1Deployment,
  V1PodSpec,
  V1Service,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { DestinationPolicySpecInput } from '../../../src/api/crds/destination-policy.js';
import type { TrafficRouteSpecInput } from '../../../src/api/crds/traffic-route.js';
import { annotations, apiVersion } from '../../../src/api/names.js';

/**
 * The mesh sample, shared by `npm run demo` and the scenarios: a shop of
 * three tiers, frontend → orders → payments, with payments v2 as a canary
 * taking 10 %, each tier with a ServiceAccount of its own (so authorization
 * can tell them apart), and a meshed loadgen driving the frontend.
 * Pods opt in with the `trellis.dev/inject: "true"` label.
 */

export interface SampleOptions {
  namespace: string;
  /** Where the pods may run (the node agent's nodes). */
  placement?: Pick<V1PodSpec, 'nodeSelector' | 'tolerations'>;
  /** The loadgen's requests per second to the frontend; 0 sends nothing until asked (its /batch). */
  rate?: number;
  /** Share of payments traffic for v2, in percent (10 unless set). */
  canaryWeight?: number;
}

export const appPort = 8080;
export const servicePort = 80;
/** The loadgen's control port, left out of inbound capture so tests reach it even under STRICT. */
export const loadgenControlPort = 9901;

const probeDefaults = { periodSeconds: 1, timeoutSeconds: 5 };

interface Workload {
  name: string;
  app: string;
  version: string;
  image: string;
  replicas?: number;
  env?: Record<string, string>;
  podAnnotations?: Record<string, string>;
  /** Serves HTTP on appPort with /healthz (the loadgen serves its control port instead). */
  http?: boolean;
}

/** A Deployment of one meshed workload. */
export function deployment(w: Workload, opts: SampleOptions): V1Deployment {
  const labels = { app: w.app, version: w.version };
  const container: V1Container = {
    name: w.app,
    image: w.image,
    securityContext: { runAsUser: 1000, runAsGroup: 1000 },
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'VERSION', value: w.version },
      ...Object.entries(w.env ?? {}).map(([name, value]) => ({ name, value })),
    ],
    ...(w.http === false
      ? {}
      : {
          ports: [{ name: 'http', containerPort: appPort }],
          // A slow start on a loaded machine is the startup probe's to wait out.
          startupProbe: { tcpSocket: { port: appPort }, periodSeconds: 1, failureThreshold: 120 },
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, ...probeDefaults },
        }),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: opts.namespace, labels },
    spec: {
      replicas: w.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels: { ...labels, [annotations.inject]: 'true' },
          ...(w.podAnnotations ? { annotations: w.podAnnotations } : {}),
        },
        spec: {
          ...opts.placement,
          serviceAccountName: w.app,
          terminationGracePeriodSeconds: 5,
          containers: [container],
        },
      },
    },
  };
}

export function service(
  name: string,
  namespace: string,
  port = servicePort,
  targetPort = appPort,
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort }] },
  };
}

export const serviceAccount = (name: string, namespace: string): KubernetesObject & { kind: string } => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace },
});

export function paymentsRoute(namespace: string, canaryWeight: number) {
  const spec: TrafficRouteSpecInput = {
    service: 'payments',
    rules: [
      {
        name: 'canary',
        destinations: [
          { service: 'payments', subset: 'v1', weight: 100 - canaryWeight },
          { service: 'payments', subset: 'v2', weight: canaryWeight },
        ],
      },
    ],
  };
  return { apiVersion, kind: 'TrafficRoute', metadata: { name: 'payments', namespace }, spec };
}

export const paymentSubsets = [
  { name: 'v1', labels: { version: 'v1' } },
  { name: 'v2', labels: { version: 'v2' } },
];

export function paymentsPolicy(namespace: string, extra: Partial<DestinationPolicySpecInput> = {}) {
  const spec: DestinationPolicySpecInput = { service: 'payments', subsets: paymentSubsets, ...extra };
  return { apiVersion, kind: 'DestinationPolicy', metadata: { name: 'payments', namespace }, spec };
}

/**
 * Every object of the sample, in apply order: the Namespace, ServiceAccounts
 * and Services first (service-link variables only name Services that exist
 * when a pod starts), then the Deployments from the back of the chain, then
 * the route and the policy.
 */
export function sampleObjects(opts: SampleOptions): KubernetesObject[] {
  const ns = opts.namespace;
  const tiers = ['frontend', 'orders', 'payments', 'loadgen'];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'trellis.dev/sample': 'true' } } },
    ...tiers.map((t) => serviceAccount(t, ns)),
    service('frontend', ns),
    service('orders', ns),
    service('payments', ns),
    // The loadgen serves nothing in the mesh; its Service makes it an endpoint the proxies can name
    // (source workload `loadgen` rather than its pod name).
    service('loadgen', ns, loadgenControlPort, loadgenControlPort),
    deployment(
      { name: 'payments-v1', app: 'payments', version: 'v1', image: 'trellis-e2e/payments:1.0' },
      opts,
    ),
    deployment(
      { name: 'payments-v2', app: 'payments', version: 'v2', image: 'trellis-e2e/payments:2.0' },
      opts,
    ),
    deployment({ name: 'orders', app: 'orders', version: 'v1', image: 'trellis-e2e/orders:1.0' }, opts),
    deployment({ name: 'frontend', app: 'frontend', version: 'v1', image: 'trellis-e2e/frontend:1.0' }, opts),
    deployment(
      {
        name: 'loadgen',
        app: 'loadgen',
        version: 'v1',
        image: 'trellis-e2e/loadgen:1.0',
        http: false,
        env: { TARGET: 'frontend', RATE: String(opts.rate ?? 0), CONTROL_PORT: String(loadgenControlPort) },
        podAnnotations: { [annotations.excludeInboundPorts]: String(loadgenControlPort) },
      },
      opts,
    ),
    paymentsRoute(ns, opts.canaryWeight ?? 10),
    paymentsPolicy(ns),
  ];
}

/** A YAML stream of objects, for `kubectl apply -f -` and for people to read. */
export function toYaml(objects: KubernetesObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}
