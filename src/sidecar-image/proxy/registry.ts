import type { Endpoint, PortProtocol, ProxyConfig, Service } from '../../api/proxy-config.js';
import { PolicySet } from './policy/policy-set.js';
import { RuntimeState } from './policy/runtime-state.js';

/** A service port with the endpoints that serve it (target port resolved by port name). */
export interface Upstream {
  service: Service;
  portName: string;
  protocol: PortProtocol | undefined;
  /** `ip:port` of each endpoint is its balancer key, made here once rather than per request. */
  endpoints: Array<{ endpoint: Endpoint; port: number; address: string }>;
  /** `namespace/name:portName`: the balancer of this service port. */
  balancerKey: string;
  /** `name.namespace`, the destination_service label. */
  label: string;
}

export interface PodTarget {
  service: Service;
  endpoint: Endpoint;
  port: number;
  protocol: PortProtocol | undefined;
}

const key = (ip: string, port: number) => `${ip}:${port}`;

/**
 * Lookup tables built once per config, so the per-connection path is a map
 * read: ClusterIP:port → service port, and pod IP:target port → endpoint.
 */
export class Registry {
  readonly #byClusterIp = new Map<string, Upstream>();
  readonly #byPodAddress = new Map<string, PodTarget>();
  readonly #workloadByIp = new Map<string, { workload: string; namespace: string }>();
  readonly #meshedByIp = new Map<string, { service: Service; endpoint: Endpoint }>();
  /** `namespace/name:port` → service port, for route destinations named by service. */
  readonly #byName = new Map<string, Upstream>();
  readonly #labelsByIp = new Map<string, Readonly<Record<string, string>>>();

  /** The compiled traffic policy of this config, in force together with it. */
  readonly policies: PolicySet;

  /**
   * `policies` is what the proxy compiled for its own workload with its long-lived RuntimeState;
   * without it (tools, tests) the section is compiled for an unlabelled pod of the config's
   * namespace with fresh engines. The schema already refused what PolicySet.load would.
   */
  constructor(
    readonly config: ProxyConfig,
    policies?: PolicySet,
  ) {
    if (policies) {
      this.policies = policies;
    } else {
      const r = PolicySet.load(config, { namespace: config.namespace, labels: {} }, new RuntimeState());
      if (!r.ok) throw new Error(`policies refused: ${r.errors.join('; ')}`);
      this.policies = r.set;
    }
    for (const service of config.services) {
      for (const sp of service.ports) {
        const endpoints = service.endpoints.flatMap((endpoint) => {
          const port = endpoint.ports[sp.name];
          return endpoint.ready && port !== undefined
            ? [{ endpoint, port, address: key(endpoint.ip, port) }]
            : [];
        });
        const upstream = {
          service,
          portName: sp.name,
          protocol: sp.protocol,
          endpoints,
          balancerKey: `${service.namespace}/${service.name}:${sp.name}`,
          label: `${service.name}.${service.namespace}`,
        };
        for (const ip of service.clusterIps) this.#byClusterIp.set(key(ip, sp.port), upstream);
        this.#byName.set(key(`${service.namespace}/${service.name}`, sp.port), upstream);
        for (const { endpoint, port } of endpoints) {
          this.#byPodAddress.set(key(endpoint.ip, port), { service, endpoint, port, protocol: sp.protocol });
        }
      }
      for (const ep of service.endpoints) {
        this.#labelsByIp.set(ep.ip, ep.labels);
        if (ep.workload)
          this.#workloadByIp.set(ep.ip, { workload: ep.workload, namespace: service.namespace });
        if (ep.identity) this.#meshedByIp.set(ep.ip, { service, endpoint: ep });
      }
    }
  }

  /** The service behind a ClusterIP and port. */
  service(ip: string, port: number): Upstream | undefined {
    return this.#byClusterIp.get(key(ip, port));
  }

  /** A service port by the service's namespace and name, as route destinations name it. */
  serviceByName(namespace: string, name: string, port: number): Upstream | undefined {
    return this.#byName.get(key(`${namespace}/${name}`, port));
  }

  /** The meshed (or not) pod listening at ip:port, known from some service's endpoints. */
  pod(ip: string, port: number): PodTarget | undefined {
    return this.#byPodAddress.get(key(ip, port));
  }

  /**
   * A pod running a Trellis proxy, by IP alone: its identity belongs to the
   * pod, not to a port, so even a port no Service declares is reached over mTLS.
   */
  meshedPod(ip: string): { service: Service; endpoint: Endpoint } | undefined {
    return this.#meshedByIp.get(ip);
  }

  /** A pod's labels as its endpoints carry them (empty when no service selects it). */
  podLabels(ip: string): Readonly<Record<string, string>> {
    return this.#labelsByIp.get(ip) ?? {};
  }

  /** The workload and namespace that own a pod IP, for metric labels. */
  workloadOf(ip: string): { workload: string; namespace: string } | undefined {
    return this.#workloadByIp.get(ip);
  }
}

/**
 * A pod's labels as its own endpoint carries them in the config, for the policies that select
 * workloads (PeerAuthentication, AuthorizationPolicy, subsets). A pod no Service selects has none.
 */
export function labelsOfPod(config: ProxyConfig, ip: string): Record<string, string> {
  for (const svc of config.services) for (const e of svc.endpoints) if (e.ip === ip) return e.labels;
  return {};
}
