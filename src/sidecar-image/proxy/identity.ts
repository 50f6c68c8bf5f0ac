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
 * Checks that `chain` (leaf first, then intermediates; a copy of a root may
 * end it) leads to one of `roots` and that every link, root included, is
 * within its validity period. Returns what is wrong, or undefined.
 */
export function verifyChain(
  chain: X509Certificate[],
  roots: X509Certificate[],
  now: Date,
): string | undefined {
  const leaf = chain[0];
  if (!leaf) return 'no certificate';
  const isRoot = (c: X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
  let tip = leaf;
  for (const next of chain.slice(1)) {
    if (isRoot(next)) break;
    if (!tip.checkIssued(next) || !tip.verify(next.publicKey)) return `chain broken at ${tip.subject}`;
    tip = next;
  }
  const root = roots.find((r) => tip.checkIssued(r) && tip.verify(r.publicKey));
  if (!root) return 'certificate is not issued by the mesh CA in ca.crt';
  for (const c of [...chain.filter((c) => !isRoot(c)), root]) {
    if (new Date(c.validFrom) > now) return `certificate ${c.subject} not yet valid`;
    if (new Date(c.validTo) < now) return `certificate ${c.subject} expired ${c.validTo}`;
  }
  return undefined;
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
  const broken = verifyChain(chain, roots, now);
  if (broken) return { ok: false, error: broken };
  const spiffeId = spiffeIdOf(leaf);
  if (!spiffeId) return { ok: false, error: 'certificate has no single SPIFFE URI SAN' };
  return { ok: true, identity: { ...pem, spiffeId, notAfter: new Date(leaf.validTo) } };
}
