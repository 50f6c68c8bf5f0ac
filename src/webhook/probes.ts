import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { ports } from '../api/names.js';
import { appProbePath, type OriginalProbeInput, type ProbeKind, probeKinds } from '../api/probe-rewrite.js';

const probeField: Record<ProbeKind, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> = {
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
  startup: 'startupProbe',
};

export interface ProbeRewrite {
  container: V1Container;
  /** Admin path → the original probe, for `TRELLIS_APP_PROBES`. */
  originals: Record<string, OriginalProbeInput>;
  /** Probes left as they were, and why (a named port the container does not declare). */
  kept: string[];
}

function resolvePort(container: V1Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The probe's action with named ports resolved, or a reason it cannot be rewritten. */
function original(container: V1Container, probe: V1Probe): OriginalProbeInput | string | undefined {
  const timeout = probe.timeoutSeconds === undefined ? {} : { timeoutSeconds: probe.timeoutSeconds };
  const unresolved = (port: unknown) => `port "${String(port)}" is not declared by the container`;
  // Rewritten, a probe of the admin port would have the proxy probe itself.
  const admin = `it targets the proxy's admin port ${ports.admin}`;
  if (probe.httpGet) {
    const { port: p, path, host, scheme, httpHeaders } = probe.httpGet;
    const port = resolvePort(container, p);
    if (port === undefined) return unresolved(p);
    if (port === ports.admin) return admin;
    return {
      httpGet: {
        port,
        ...(path === undefined ? {} : { path }),
        ...(host === undefined ? {} : { host }),
        ...(scheme === undefined ? {} : { scheme: scheme === 'HTTPS' ? 'HTTPS' : 'HTTP' }),
        ...(httpHeaders === undefined
          ? {}
          : { httpHeaders: httpHeaders.map(({ name, value }) => ({ name, value })) }),
      },
      ...timeout,
    };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(container, probe.tcpSocket.port);
    if (port === undefined) return unresolved(probe.tcpSocket.port);
    if (port === ports.admin) return admin;
    const host = probe.tcpSocket.host;
    return { tcpSocket: { port, ...(host === undefined ? {} : { host }) }, ...timeout };
  }
  if (probe.grpc) {
    if (probe.grpc.port === ports.admin) return admin;
    const service = probe.grpc.service;
    return { grpc: { port: probe.grpc.port, ...(service === undefined ? {} : { service }) }, ...timeout };
  }
  // exec probes run inside the container and never cross the proxy.
  return undefined;
}

/**
 * Points the container's HTTP, TCP and gRPC probes at the proxy's admin port
 * (see src/api/probe-rewrite.ts), keeping their timing, so kubelet probes keep
 * working under STRICT mTLS.
 */
export function rewriteProbes(container: V1Container): ProbeRewrite {
  const out: V1Container = { ...container };
  const originals: Record<string, OriginalProbeInput> = {};
  const kept: string[] = [];
  for (const kind of probeKinds) {
    const field = probeField[kind];
    const probe = container[field];
    if (!probe) continue;
    const action = original(container, probe);
    if (action === undefined) continue;
    if (typeof action === 'string') {
      kept.push(`${container.name} ${kind} probe kept: ${action}`);
      continue;
    }
    const path = appProbePath(container.name, kind);
    originals[path] = action;
    const { httpGet: _h, tcpSocket: _t, grpc: _g, exec: _e, ...timing } = probe;
    out[field] = { ...timing, httpGet: { path, port: ports.admin, scheme: 'HTTP' } };
  }
  return { container: out, originals, kept };
}
