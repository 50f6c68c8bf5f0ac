import type { Endpoint, PortProtocol, ProxyConfig, Service } from '../../api/proxy-config.js';

/** A service port with the endpoints that serve it (target port resolved by port name). */
export interface Upstream {
  service: Service;
  portName: string;
  protocol: PortProtocol | undefined;
  endpoints: Array<{ endpoint: Endpoint; port: number }>;
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

  constructor(readonly config: ProxyConfig) {
    for (const service of config.services) {
      for (const sp of service.ports) {
        const endpoints = service.endpoints.flatMap((endpoint) => {
          const port = endpoint.ports[sp.name];
          return endpoint.ready && port !== undefined ? [{ endpoint, port }] : [];
        });
        const upstream = { service, portName: sp.name, protocol: sp.protocol, endpoints };
        for (const ip of service.clusterIps) this.#byClusterIp.set(key(ip, sp.port), upstream);
        for (const { endpoint, port } of endpoints) {
          this.#byPodAddress.set(key(endpoint.ip, port), { service, endpoint, port, protocol: sp.protocol });
        }
      }
      for (const ep of service.endpoints) {
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

  /** The workload and namespace that own a pod IP, for metric labels. */
  workloadOf(ip: string): { workload: string; namespace: string } | undefined {
    return this.#workloadByIp.get(ip);
  }
}
