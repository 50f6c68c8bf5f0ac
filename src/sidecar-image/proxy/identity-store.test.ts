import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityStore } from './identity-store.js';
import { createMetrics } from './metrics.js';
import { captureLogger } from './testing/log.js';
import { issueLeaf, type Leaf, makeCa, writeAtomicVolume } from './testing/pki.js';
import { waitFor } from './testing/wait.js';

const files = (l: Leaf) => ({ 'tls.crt': l.cert, 'tls.key': l.key, 'ca.crt': l.ca });
const id = 'spiffe://cluster.local/ns/shop/sa/orders';

describe('IdentityStore', () => {
  const dirs: string[] = [];
  const stores: IdentityStore[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('rotates to a new certificate and refuses expired and foreign-CA ones, keeping the last good', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-identity-'));
    dirs.push(dir);
    const { log, lines } = captureLogger();
    const metrics = createMetrics();
    const store = new IdentityStore(dir, log, metrics);
    stores.push(store);
    const ca = makeCa();
    const first = issueLeaf(ca, id);
    writeAtomicVolume(dir, files(first));
    await store.start({ debounceMs: 20, pollMs: 60_000 });
    expect(store.current?.identity.cert).toBe(first.cert);
    const firstState = store.current;

    const second = issueLeaf(ca, id);
    writeAtomicVolume(dir, files(second));
    await waitFor(() => store.current?.identity.cert === second.cert, 2_000, 'rotation');
    expect(store.current).not.toBe(firstState);

    writeAtomicVolume(dir, files(issueLeaf(ca, id, { days: -1 })));
    await waitFor(() => lines().some((l) => l.msg === 'identity rejected'), 2_000, 'expired rejection');
    const foreign = issueLeaf(makeCa('other'), id);
    writeAtomicVolume(dir, files({ ...foreign, ca: ca.cert }));
    await waitFor(() => lines().filter((l) => l.msg === 'identity rejected').length === 2, 2_000, 'foreign');

    expect(store.current?.identity.cert).toBe(second.cert);
    expect(
      lines()
        .filter((l) => l.msg === 'identity rejected')
        .map((l) => l.error),
    ).toEqual([
      expect.stringMatching(/^certificate O=trellis expired /),
      'certificate is not issued by the mesh CA in ca.crt',
    ]);
    const counts = (await metrics.identityReloads.get()).values.map((v) => [v.labels.result, v.value]);
    expect(Object.fromEntries(counts)).toEqual({ success: 2, rejected: 2 });
  });
});
