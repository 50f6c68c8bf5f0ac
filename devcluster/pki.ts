import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One certificate the local control plane needs, signed by `ca` (or self-signed when it is a CA). */
export interface CertSpec {
  name: string;
  ca?: string;
  subject: string;
  usage: 'ca' | 'server' | 'client' | 'server-client';
  dnsNames?: string[];
  ips?: string[];
}

export interface PkiOptions {
  /** Addresses the API server answers on, beyond loopback (a bridge address for pods, say). */
  apiserverIps: string[];
  /** The first address of the service range: the `kubernetes` Service's ClusterIP. */
  kubernetesServiceIp: string;
}

/** Every certificate, in the order they must be made (each CA before what it signs). */
export function certPlan(opts: PkiOptions): CertSpec[] {
  return [
    { name: 'ca', subject: '/CN=trellis-devcluster-ca', usage: 'ca' },
    { name: 'front-proxy-ca', subject: '/CN=trellis-devcluster-front-proxy-ca', usage: 'ca' },
    {
      name: 'apiserver',
      ca: 'ca',
      subject: '/CN=kube-apiserver',
      usage: 'server',
      dnsNames: [
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
      ips: ['127.0.0.1', opts.kubernetesServiceIp, ...opts.apiserverIps],
    },
    { name: 'front-proxy-client', ca: 'front-proxy-ca', subject: '/CN=front-proxy-client', usage: 'client' },
    { name: 'admin', ca: 'ca', subject: '/O=system:masters/CN=trellis-admin', usage: 'client' },
    {
      name: 'controller-manager',
      ca: 'ca',
      subject: '/CN=system:kube-controller-manager',
      usage: 'client',
    },
    { name: 'scheduler', ca: 'ca', subject: '/CN=system:kube-scheduler', usage: 'client' },
    { name: 'cert-manager', ca: 'ca', subject: '/CN=trellis:cert-manager', usage: 'client' },
  ];
}

/** The openssl x509v3 extension section for a leaf certificate. */
export function extensionText(spec: CertSpec): string {
  const eku = { server: 'serverAuth', client: 'clientAuth', 'server-client': 'serverAuth,clientAuth' };
  if (spec.usage === 'ca') throw new Error(`${spec.name} is a CA: it has no leaf extensions`);
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku[spec.usage]}`,
  ];
  const sans = [...(spec.dnsNames ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((ip) => `IP:${ip}`)];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
  return `${lines.join('\n')}\n`;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes every certificate and the service-account key pair that is not there yet. */
export function ensurePki(dir: string, opts: PkiOptions): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (name: string, ext: string) => join(dir, `${name}.${ext}`);
  for (const spec of certPlan(opts)) {
    if (existsSync(path(spec.name, 'crt'))) continue;
    if (spec.usage === 'ca') {
      openssl([
        'req',
        '-x509',
        ...ecKey,
        '-keyout',
        path(spec.name, 'key'),
        '-out',
        path(spec.name, 'crt'),
        '-days',
        '3650',
        '-subj',
        spec.subject,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ]);
      continue;
    }
    const ca = spec.ca ?? 'ca';
    writeFileSync(path(spec.name, 'ext'), extensionText(spec));
    openssl([
      'req',
      '-new',
      ...ecKey,
      '-keyout',
      path(spec.name, 'key'),
      '-out',
      path(spec.name, 'csr'),
      '-subj',
      spec.subject,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      path(spec.name, 'csr'),
      '-CA',
      path(ca, 'crt'),
      '-CAkey',
      path(ca, 'key'),
      '-CAcreateserial',
      '-days',
      '825',
      '-extfile',
      path(spec.name, 'ext'),
      '-out',
      path(spec.name, 'crt'),
    ]);
  }
  if (!existsSync(path('sa', 'pub'))) {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path('sa', 'key')]);
    openssl(['pkey', '-in', path('sa', 'key'), '-pubout', '-out', path('sa', 'pub')]);
  }
}
