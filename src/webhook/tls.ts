import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The file names of a cert-manager (kubernetes.io/tls) Secret mounted as a directory. */
export const certFiles = { cert: 'tls.crt', key: 'tls.key' } as const;

export const certPaths = (dir: string) => [join(dir, certFiles.cert), join(dir, certFiles.key)];

export async function loadCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = await Promise.all(certPaths(dir).map((p) => readFile(p, 'utf8')));
  if (!cert?.includes('BEGIN CERTIFICATE'))
    throw new Error(`${certFiles.cert} in ${dir} holds no PEM certificate`);
  if (!key?.includes('PRIVATE KEY')) throw new Error(`${certFiles.key} in ${dir} holds no PEM private key`);
  return { cert, key };
}
