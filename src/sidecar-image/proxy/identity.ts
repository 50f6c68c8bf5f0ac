import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface IdentityPem {
  cert: string;
  key: string;
  ca: string;
}

export interface Identity extends IdentityPem {
  spiffeId: string;
  notAfter: Date;
}

export type IdentityResult = { ok: true; identity: Identity } | { ok: false; error: string };

/** The SPIFFE ID in a certificate's URI SAN; a SPIFFE SVID has exactly one. */
export function spiffeIdOf(cert: X509Certificate): string | undefined {
  const uris = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('URI:spiffe://'))
    .map((s) => s.slice('URI:'.length));
  return uris.length === 1 ? uris[0] : undefined;
}

/** Splits a PEM bundle into its certificates. */
export function splitPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/**
 * Checks a workload identity before the proxy uses it: the key matches the
 * certificate, the chain (leaf, then any intermediates in tls.crt) leads to a
 * certificate in ca.crt, every link is within its validity period, and the
 * leaf carries one SPIFFE ID. A bad identity must never replace a good one.
 */
export function checkIdentity(pem: IdentityPem, now: Date = new Date()): IdentityResult {
  let chain: X509Certificate[];
  let roots: X509Certificate[];
  try {
    chain = splitPem(pem.cert);
    roots = splitPem(pem.ca);
  } catch (err) {
    return { ok: false, error: `unparseable certificate: ${(err as Error).message}` };
  }
  const leaf = chain[0];
  if (!leaf) return { ok: false, error: 'tls.crt holds no certificate' };
  if (roots.length === 0) return { ok: false, error: 'ca.crt holds no certificate' };
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(pem.key))) {
      return { ok: false, error: 'tls.key does not match tls.crt' };
    }
  } catch (err) {
    return { ok: false, error: `unparseable key: ${(err as Error).message}` };
  }
  for (const c of chain) {
    if (new Date(c.validFrom) > now) return { ok: false, error: `certificate ${c.subject} not yet valid` };
    if (new Date(c.validTo) < now)
      return { ok: false, error: `certificate ${c.subject} expired ${c.validTo}` };
  }
  let tip = leaf;
  for (const next of chain.slice(1)) {
    if (!tip.checkIssued(next) || !tip.verify(next.publicKey)) {
      return { ok: false, error: `chain broken at ${tip.subject}` };
    }
    tip = next;
  }
  const root = roots.find((r) => tip.checkIssued(r) && tip.verify(r.publicKey));
  if (!root) return { ok: false, error: 'certificate is not issued by the mesh CA in ca.crt' };
  const spiffeId = spiffeIdOf(leaf);
  if (!spiffeId) return { ok: false, error: 'certificate has no single SPIFFE URI SAN' };
  return { ok: true, identity: { ...pem, spiffeId, notAfter: new Date(leaf.validTo) } };
}
