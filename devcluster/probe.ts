import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

export interface ProbeResult {
  status: number;
  body: string;
}

export interface ProbeTls {
  /** The local PKI folder: the CA and the admin client certificate are read from it. */
  pkiDir?: string;
  /** Components' self-signed serving certificates cannot be verified; only their health is asked. */
  insecure?: boolean;
}

/** One GET with a short timeout; resolves with status 0 when nothing answers. */
export function probe(url: string, tls: ProbeTls = {}, timeoutMs = 2000): Promise<ProbeResult> {
  const isHttps = url.startsWith('https:');
  const options = isHttps
    ? {
        timeout: timeoutMs,
        rejectUnauthorized: !tls.insecure,
        ...(tls.pkiDir && {
          ca: readFileSync(join(tls.pkiDir, 'ca.crt')),
          cert: readFileSync(join(tls.pkiDir, 'admin.crt')),
          key: readFileSync(join(tls.pkiDir, 'admin.key')),
        }),
      }
    : { timeout: timeoutMs };
  return new Promise((resolve) => {
    const req = (isHttps ? httpsRequest : httpRequest)(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: err.message }));
    req.end();
  });
}
