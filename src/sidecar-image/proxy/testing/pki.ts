import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test PKI made with the openssl CLI: a mesh CA and SPIFFE leaf certificates (EC P-256, like cert-manager's). */
export interface Ca {
  cert: string;
  key: string;
}
export interface Leaf {
  cert: string;
  key: string;
  ca: string;
}

let serial = 1;

function inTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-pki-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

export function makeCa(name = 'trellis-test-ca'): Ca {
  return inTemp((dir) => {
    openssl(
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/O=${name}`, '-days', '30'],
        ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'],
      ],
      dir,
    );
    return {
      cert: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      key: readFileSync(join(dir, 'ca.key'), 'utf8'),
    };
  });
}

/**
 * A workload certificate for `spiffeId`; negative `days` makes one that has already expired.
 * `dns` adds a DNS SAN, for peers (nginx, HAProxy) that verify host names.
 */
export function issueLeaf(ca: Ca, spiffeId: string, opts: { days?: number; dns?: string } = {}): Leaf {
  return inTemp((dir) => {
    writeFileSync(join(dir, 'ca.crt'), ca.cert);
    writeFileSync(join(dir, 'ca.key'), ca.key);
    writeFileSync(
      join(dir, 'ext'),
      [
        `subjectAltName=critical,URI:${spiffeId}${opts.dns ? `,DNS:${opts.dns}` : ''}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    openssl(
      ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        'l.key',
        '-out',
        'l.csr',
        '-subj',
        '/O=trellis',
      ]),
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'l.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(serial++),
      ].concat(['-days', String(opts.days ?? 1), '-extfile', 'ext', '-out', 'l.crt']),
      dir,
    );
    return {
      cert: readFileSync(join(dir, 'l.crt'), 'utf8'),
      key: readFileSync(join(dir, 'l.key'), 'utf8'),
      ca: ca.cert,
    };
  });
}

/** Writes files the way kubelet does for a projected volume: a timestamped dir behind a `..data` symlink. */
export function writeAtomicVolume(dir: string, files: Record<string, string>): void {
  const stamp = `..${Date.now()}_${serial++}`;
  mkdirSync(join(dir, stamp), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, stamp, name), text);
  rmSync(join(dir, '..data_tmp'), { force: true });
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of Object.keys(files)) {
    rmSync(join(dir, name), { force: true });
    symlinkSync(join('..data', name), join(dir, name));
  }
}
