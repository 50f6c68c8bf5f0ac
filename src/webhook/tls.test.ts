import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCertificate } from './tls.js';

const fixture = (f: string) => new URL(`../../test/fixtures/webhook/${f}`, import.meta.url).pathname;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('loadCertificate', () => {
  it('reads tls.crt and tls.key from a Secret mount', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-'));
    copyFileSync(fixture('tls-a.crt'), join(dir, 'tls.crt'));
    copyFileSync(fixture('tls-a.key'), join(dir, 'tls.key'));
    const tls = await loadCertificate(dir);
    expect(tls.cert).toContain('BEGIN CERTIFICATE');
    expect(tls.key).toContain('PRIVATE KEY');
  });

  it('names what is wrong', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tls-'));
    writeFileSync(join(dir, 'tls.crt'), 'nope');
    writeFileSync(join(dir, 'tls.key'), 'nope');
    await expect(loadCertificate(dir)).rejects.toThrow('tls.crt in');
    await expect(loadCertificate(join(dir, 'absent'))).rejects.toThrow('ENOENT');
  });
});
