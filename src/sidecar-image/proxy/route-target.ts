import type { PortProtocol } from '../../api/proxy-config.js';
import type { Balancer, LbPolicy } from './balancer.js';
import type { PodInfo } from './context.js';
import type { Destination } from './original-dst.js';
import type { DestinationRuntime } from './policy/policy-set.js';
import type { Registry, Upstream } from './registry.js';

/** Where an outbound connection or request goes, and how. */
export interface Target {
  host: string;
  port: number;
  /** The peer proxy's SPIFFE ID: speak mTLS and require exactly it. Absent: plaintext. */
  identity: string | undefined;
  protocol: PortProtocol | undefined;
  destinationService: string;
  destinationWorkload: string;
  /** Ends this target's share of the endpoint's load. */
  release: () => void;
  /** The Service's policy runtime (breaker, outlier detector) when the target is a Service endpoint. */
  destination?: DestinationRuntime;
}

export type Resolution = { kind: 'target'; target: Target } | { kind: 'refuse'; reason: string };

/** The balancers, one per service port, kept across config reloads. */
export class Balancers {
  readonly #byUpstream = new Map<string, Balancer>();
  constructor(private readonly make: () => Balancer) {}
  for(key: string): Balancer {
    let b = this.#byUpstream.get(key);
    if (!b) {
      b = this.make();
      this.#byUpstream.set(key, b);
    }
    return b;
  }
}

const noop = () => {};
const addressOf = (e: Upstream['endpoints'][number]) => e.address;

/**
 * Decides where a captured outbound connection goes: a ClusterIP picks an
 * endpoint of the service; a known pod IP goes to that pod (over mTLS when it
 * is meshed, even on an undeclared port); anything else passes through
 * unchanged under ALLOW_ANY or is refused under REGISTRY_ONLY.
 */
export function resolveTarget(
  registry: Registry,
  balancers: Balancers,
  dst: Destination,
  pod: PodInfo,
  proxyPorts: readonly number[],
): Resolution {
  if (dst.address === pod.ip && proxyPorts.includes(dst.port)) return { kind: 'refuse', reason: 'loop' };
  const upstream = registry.service(dst.address, dst.port);
  if (upstream) {
    const svc = upstream.service;
    const balancer = balancers.for(upstream.balancerKey);
    const destination = registry.policies.destination(svc.namespace, svc.name);
    // Ejected endpoints are left out, as for HTTP (outlier detection by connect failures).
    const endpoints = destination?.outlier
      ? destination.outlier.healthy(upstream.endpoints, (e) => e.endpoint.ip, [])
      : upstream.endpoints;
    // The DestinationPolicy's balancer, else the Service's own (PolicySet falls back to it).
    const policy: LbPolicy =
      destination?.policy.loadBalancer.algorithm ?? svc.loadBalancer ?? 'LEAST_REQUEST';
    const picked = balancer.pick(endpoints, addressOf, policy);
    if (!picked) return { kind: 'refuse', reason: 'no_healthy_upstream' };
    const { endpoint, port } = picked.target;
    return {
      kind: 'target',
      target: {
        host: endpoint.ip,
        port,
        identity: endpoint.identity,
        protocol: upstream.protocol,
        destinationService: upstream.label,
        destinationWorkload: endpoint.workload ?? 'unknown',
        release: picked.release,
        destination,
      },
    };
  }
  const direct = registry.pod(dst.address, dst.port);
  if (direct) {
    return {
      kind: 'target',
      target: {
        host: direct.endpoint.ip,
        port: direct.port,
        identity: direct.endpoint.identity,
        protocol: direct.protocol,
        destinationService: `${direct.service.name}.${direct.service.namespace}`,
        destinationWorkload: direct.endpoint.workload ?? 'unknown',
        release: noop,
      },
    };
  }
  const meshed = registry.meshedPod(dst.address);
  if (meshed) {
    return {
      kind: 'target',
      target: {
        host: dst.address,
        port: dst.port,
        identity: meshed.endpoint.identity,
        protocol: undefined,
        destinationService: 'unknown',
        destinationWorkload: meshed.endpoint.workload ?? 'unknown',
        release: noop,
      },
    };
  }
  if (registry.config.outboundTrafficPolicy === 'REGISTRY_ONLY')
    return { kind: 'refuse', reason: 'registry_only' };
  return {
    kind: 'target',
    target: {
      host: dst.address,
      port: dst.port,
      identity: undefined,
      protocol: undefined,
      destinationService: 'passthrough',
      destinationWorkload: 'unknown',
      release: noop,
    },
  };
}
