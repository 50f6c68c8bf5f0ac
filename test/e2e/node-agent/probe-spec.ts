import type { V1Container, V1Probe } from '@kubernetes/client-node';

/** Where and how one probe checks, resolved from the pod spec against the pod IP. */
export type ProbeTarget =
  | { kind: 'http'; url: string; headers: Record<string, string> }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'grpc'; host: string; port: number; service: string }
  | { kind: 'exec'; command: string[] };

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The API's defaults: period 10 s, timeout 1 s, success 1, failure 3, no initial delay. */
export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** A port number, or a named port of the container. */
export function resolvePort(port: number | string, container: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`);
  return named.containerPort;
}

/** The kubelet probes from the node, so the host is the pod IP (or `host` when the probe sets one). */
export function probeTarget(probe: V1Probe, container: V1Container, podIP: string): ProbeTarget {
  if (probe.httpGet) {
    const { path = '/', port, host, scheme = 'HTTP', httpHeaders = [] } = probe.httpGet;
    const authority = `${host || podIP}:${resolvePort(port as number | string, container)}`;
    const headers = Object.fromEntries(httpHeaders.map((h) => [h.name, h.value]));
    const slash = path.startsWith('/') ? '' : '/';
    return { kind: 'http', url: `${scheme.toLowerCase()}://${authority}${slash}${path}`, headers };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port as number | string, container);
    return { kind: 'tcp', host: probe.tcpSocket.host || podIP, port };
  }
  if (probe.grpc)
    return { kind: 'grpc', host: podIP, port: probe.grpc.port, service: probe.grpc.service ?? '' };
  if (probe.exec?.command?.length) return { kind: 'exec', command: probe.exec.command };
  throw new Error(`container ${container.name}: a probe needs httpGet, tcpSocket, grpc or exec`);
}
