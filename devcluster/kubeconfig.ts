import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A kubeconfig for one client certificate of the local PKI, with the files embedded so it can be copied. */
export function kubeconfigFor(opts: {
  pkiDir: string;
  cert: string;
  server: string;
  cluster: string;
}): string {
  const b64 = (file: string) => readFileSync(join(opts.pkiDir, file)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: opts.cluster, cluster: { server: opts.server, 'certificate-authority-data': b64('ca.crt') } },
    ],
    users: [
      {
        name: opts.cert,
        user: {
          'client-certificate-data': b64(`${opts.cert}.crt`),
          'client-key-data': b64(`${opts.cert}.key`),
        },
      },
    ],
    contexts: [{ name: opts.cluster, context: { cluster: opts.cluster, user: opts.cert } }],
    'current-context': opts.cluster,
  });
}
