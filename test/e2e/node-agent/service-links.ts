import type { V1Service } from '@kubernetes/client-node';

/**
 * The kubelet's service links: for each Service of the pod's namespace that
 * has a ClusterIP when the container starts, `<NAME>_SERVICE_HOST`,
 * `<NAME>_SERVICE_PORT` (its first port), `<NAME>_SERVICE_PORT_<PORTNAME>`
 * and the Docker-link `<NAME>_PORT*` variables. There is no DNS here, so this
 * is how the sample apps find each other's ClusterIPs (which the proxy
 * resolves), as apps did before cluster DNS.
 */
export function serviceLinkEnv(services: V1Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  const sorted = [...services].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const service of sorted) {
    const ip = service.spec?.clusterIP;
    const ports = service.spec?.ports ?? [];
    const first = ports[0];
    // Headless Services and Services with no port get no variables, as with the kubelet.
    if (!ip || ip === 'None' || !first) continue;
    const name = envName(service.metadata?.name ?? '');
    env[`${name}_SERVICE_HOST`] = ip;
    env[`${name}_SERVICE_PORT`] = String(first.port);
    const firstProto = (first.protocol ?? 'TCP').toLowerCase();
    env[`${name}_PORT`] = `${firstProto}://${ip}:${first.port}`;
    for (const port of ports) {
      if (port.name) env[`${name}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
      const proto = (port.protocol ?? 'TCP').toLowerCase();
      const prefix = `${name}_PORT_${port.port}_${proto.toUpperCase()}`;
      env[prefix] = `${proto}://${ip}:${port.port}`;
      env[`${prefix}_PROTO`] = proto;
      env[`${prefix}_PORT`] = String(port.port);
      env[`${prefix}_ADDR`] = ip;
    }
  }
  return env;
}

/** `my-svc` → `MY_SVC`, as the kubelet names the variables. */
export function envName(name: string): string {
  return name.toUpperCase().replaceAll('-', '_');
}
