import { describe, expect, it } from 'vitest';
import { checkIdentity } from './identity.js';
import { issueLeaf, makeCa } from './testing/pki.js';

const id = 'spiffe://cluster.local/ns/shop/sa/orders';

describe('checkIdentity', () => {
  const ca = makeCa();

  it('accepts a leaf from the mesh CA and reads its SPIFFE ID and expiry', () => {
    const r = checkIdentity(issueLeaf(ca, id));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.identity.spiffeId).toBe(id);
    expect(r.identity.notAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses an expired certificate', () => {
    const r = checkIdentity(issueLeaf(ca, id, { days: -1 }));
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/expired/) });
  });

  it('refuses a certificate from another CA', () => {
    const foreign = issueLeaf(makeCa('other-ca'), id);
    const r = checkIdentity({ ...foreign, ca: ca.cert });
    expect(r).toEqual({ ok: false, error: 'certificate is not issued by the mesh CA in ca.crt' });
  });

  it('refuses a key that does not belong to the certificate', () => {
    const a = issueLeaf(ca, id);
    const b = issueLeaf(ca, id);
    expect(checkIdentity({ ...a, key: b.key })).toEqual({
      ok: false,
      error: 'tls.key does not match tls.crt',
    });
  });

  it('refuses a certificate without a SPIFFE ID', () => {
    const r = checkIdentity(issueLeaf(ca, 'urn:example:x'));
    expect(r).toEqual({ ok: false, error: 'certificate has no single SPIFFE URI SAN' });
  });

  it('refuses empty files', () => {
    expect(checkIdentity({ cert: '', key: '', ca: '' })).toEqual({
      ok: false,
      error: 'tls.crt holds no certificate',
    });
  });
});
