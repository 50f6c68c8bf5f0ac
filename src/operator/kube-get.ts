import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { keepAliveAgents } from './keep-alive.js';

/** A failed GET: the API server's status code, or undefined when no response arrived. */
export class KubeGetError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'KubeGetError';
  }
}

/**
 * GETs a path from the API server and parses the JSON, failing after `timeoutMs`. Raw rather than a typed
 * client: informers list any resource by its path, and the objects then have the same plain-JSON shape
 * as the ones their watch delivers (typed clients turn timestamps into Dates, watches do not).
 */
export async function kubeGet<T>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | undefined>,
  timeoutMs: number,
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeGetError('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  for (const [name, value] of Object.entries(query))
    if (value !== undefined) url.searchParams.set(name, value);
  const options: RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
  await kc.applyToHTTPSOptions(options);
  // client-node made a one-off agent; the kubeconfig's keep-alive pool reuses a connection instead.
  if (typeof options.agent === 'object') options.agent = keepAliveAgents(kc).reuse(options.agent);
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<T>((resolve, reject) => {
    const req = request(url, { ...options, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          reject(new KubeGetError(`GET ${path}: ${status} ${text.slice(0, 500)}`, status));
          return;
        }
        try {
          resolve(JSON.parse(text) as T);
        } catch (err) {
          reject(new KubeGetError(`GET ${path}: response is not JSON (${String(err)})`, status));
        }
      });
    });
    req.on('error', (err) => reject(new KubeGetError(`GET ${path}: ${err.message}`)));
    req.end();
  });
}
