import type { Logger } from 'pino';
import { type AppProbes, appProbes, appProbesEnv, type OriginalProbe } from '../../api/probe-rewrite.js';
import { checkGrpcHealth } from './grpc-health.js';
import { type CheckResult, checkHttp, checkTcp } from './probe-checks.js';

/**
 * The app's original probes (`TRELLIS_APP_PROBES`, src/api/probe-rewrite.ts),
 * which the injector replaced with `GET :15020/app-health/<container>/<kind>`.
 * Read once at start: a bad value stops the proxy with a message naming the field.
 */
export function parseAppProbes(env: Record<string, string | undefined>): AppProbes {
  const raw = env[appProbesEnv];
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`bad environment: ${appProbesEnv}: not JSON: ${(err as Error).message}`);
  }
  const r = appProbes.safeParse(json);
  if (!r.success) {
    const issues = r.error.issues.map(
      (i) => `${[appProbesEnv, ...i.path.map(String)].join('.')}: ${i.message}`,
    );
    throw new Error(`bad environment: ${issues.join('; ')}`);
  }
  return r.data;
}

export interface ProbeAnswer {
  status: 200 | 503 | 404;
  body: string;
}

export interface AppProbeOptions {
  /** Where probes without a `host` go: the pod IP in a pod (the kubelet's target). */
  host: string;
  log: Logger;
}

function runProbe(probe: OriginalProbe, defaultHost: string): Promise<CheckResult> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if ('httpGet' in probe) {
    const g = probe.httpGet;
    return checkHttp({
      host: g.host ?? defaultHost,
      port: g.port,
      path: g.path,
      scheme: g.scheme,
      headers: g.httpHeaders,
      timeoutMs,
    });
  }
  if ('tcpSocket' in probe)
    return checkTcp(probe.tcpSocket.host ?? defaultHost, probe.tcpSocket.port, timeoutMs);
  return checkGrpcHealth(defaultHost, probe.grpc.port, probe.grpc.service ?? '', timeoutMs);
}

/** Answers an `/app-health/...` admin path by running the original probe it stands for. */
export function createAppProbeHandler(
  probes: AppProbes,
  opts: AppProbeOptions,
): (path: string) => Promise<ProbeAnswer> {
  return async (path) => {
    const probe = Object.hasOwn(probes, path) ? probes[path] : undefined;
    if (!probe) return { status: 404, body: `no app probe at ${path}\n` };
    let result: CheckResult;
    try {
      result = await runProbe(probe, opts.host);
    } catch (err) {
      // node refuses some inputs synchronously (a header value with a newline): a failed probe, not a crash.
      result = { ok: false, reason: (err as Error).message };
    }
    if (result.ok) return { status: 200, body: 'ok\n' };
    // The kubelet records failures itself; debug keeps a flapping probe out of the info log.
    opts.log.debug({ path, reason: result.reason }, 'app probe failed');
    return { status: 503, body: `app probe failed: ${result.reason}\n` };
  };
}
