import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certPlan, ensurePki, extensionText } from './pki.js';

const opts = { apiserverIps: ['198.18.0.1'], kubernetesServiceIp: '198.19.0.1' };

describe('certPlan', () => {
  it('puts every CA before the certificates it signs', () => {
    const seen = new Set<string>();
    for (const spec of certPlan(opts)) {
      if (spec.ca) expect(seen.has(spec.ca), `${spec.name} signed by ${spec.ca}`).toBe(true);
      seen.add(spec.name);
    }
  });

  it('lets the API server answer on loopback, the service IP and extra addresses', () => {
    const apiserver = certPlan(opts).find((s) => s.name === 'apiserver');
    expect(apiserver?.ips).toEqual(['127.0.0.1', '198.19.0.1', '198.18.0.1']);
    expect(apiserver?.dnsNames).toContain('kubernetes.default.svc.cluster.local');
  });
});

describe('extensionText', () => {
  it('writes server usage and SANs', () => {
    expect(
      extensionText({ name: 's', subject: '/CN=s', usage: 'server', dnsNames: ['a'], ips: ['1.2.3.4'] }),
    ).toBe(
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:a,IP:1.2.3.4',
        '',
      ].join('\n'),
    );
  });

  it('refuses a CA', () => {
    expect(() => extensionText({ name: 'ca', subject: '/CN=ca', usage: 'ca' })).toThrow(/is a CA/);
  });
});

describe('ensurePki', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-pki-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes certificates that verify against their CA, and is idempotent', () => {
    ensurePki(dir, opts);
    const verify = (ca: string, name: string) =>
      execFileSync('openssl', ['verify', '-CAfile', join(dir, `${ca}.crt`), join(dir, `${name}.crt`)], {
        encoding: 'utf8',
      });
    expect(verify('ca', 'apiserver')).toContain(': OK');
    expect(verify('front-proxy-ca', 'front-proxy-client')).toContain(': OK');
    const admin = execFileSync('openssl', ['x509', '-in', join(dir, 'admin.crt'), '-noout', '-subject'], {
      encoding: 'utf8',
    });
    expect(admin).toMatch(/O\s*=\s*system:masters, CN\s*=\s*trellis-admin/);
    expect(readFileSync(join(dir, 'sa.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');

    const before = statSync(join(dir, 'ca.crt')).mtimeMs;
    ensurePki(dir, opts);
    expect(statSync(join(dir, 'ca.crt')).mtimeMs).toBe(before);
  });
});
