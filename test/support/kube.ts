import { request } from 'node:https';
import {
  AdmissionregistrationV1Api,
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { inject } from 'vitest';

/** Typed clients for the test cluster the global setup started or found. */
export function kube() {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    crds: kc.makeApiClient(ApiextensionsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
}

export type Kube = ReturnType<typeof kube>;

/** The HTTP status of a failed API call, or undefined when the error is something else. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The API server's message for a failed call (the Status object's `message`). */
export function apiMessage(err: unknown): string {
  if (!(err instanceof ApiException)) return String(err);
  try {
    const body = JSON.parse(String(err.body)) as { message?: string };
    return body.message ?? String(err.body);
  } catch {
    return String(err.body);
  }
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs` saying what it waited for. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const suffix = lastError ? ` (last error: ${apiMessage(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${suffix}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A raw API request. Not client-node's typed clients: their serializer knows `x_kubernetes_int_or_string`,
 * not `x-kubernetes-int-or-string`, and silently drops every x-kubernetes-* key of a CRD read from YAML.
 */
export async function rawRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const options: Parameters<typeof request>[1] = { method, headers };
  await kc.applyToHTTPSOptions(options);
  return new Promise<string>((done, fail) => {
    const req = request(new URL(path, cluster.server), options, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () =>
        (res.statusCode ?? 0) < 300
          ? done(text)
          : fail(new Error(`${method} ${path}: ${res.statusCode} ${text}`)),
      );
    });
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
