import { eventually, type Kube } from './kube.js';

export interface IssuedCertificate {
  cert: string;
  key: string;
  ca: string;
}

interface CertificateStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

const cm = { group: 'cert-manager.io', version: 'v1' };

/** Has the real cert-manager issue a certificate from a SelfSigned Issuer, and returns its Secret's PEMs. */
export async function issueSelfSigned(
  k: Kube,
  namespace: string,
  name: string,
  san: { dnsNames?: string[]; ipAddresses?: string[] },
): Promise<IssuedCertificate> {
  await k.custom.createNamespacedCustomObject({
    ...cm,
    namespace,
    plural: 'issuers',
    body: { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name }, spec: { selfSigned: {} } },
  });
  await k.custom.createNamespacedCustomObject({
    ...cm,
    namespace,
    plural: 'certificates',
    body: {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name },
      spec: {
        secretName: name,
        commonName: name,
        ...san,
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: { name, kind: 'Issuer' },
      },
    },
  });
  await eventually(`Certificate ${namespace}/${name} Ready`, async () => {
    const c = (await k.custom.getNamespacedCustomObject({
      ...cm,
      namespace,
      plural: 'certificates',
      name,
    })) as CertificateStatus;
    return c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? true : undefined;
  });
  const secret = await k.core.readNamespacedSecret({ name, namespace });
  const field = (f: string) => Buffer.from(secret.data?.[f] ?? '', 'base64').toString('utf8');
  return { cert: field('tls.crt'), key: field('tls.key'), ca: field('ca.crt') };
}
