import type { ObjectKey, ReconcileResult, Reconciler } from '../operator/reconciler.js';
import { desiredCertificates, type IssuerRef, meshIssuerRef } from './identity.js';
import { configHashAnnotation, sameOwners } from './labels.js';
import type { ObservedStateReader } from './observed.js';
import type { ClusterWriter } from './writer.js';

/**
 * Keyed by namespace (`{ name: <namespace> }`): one cert-manager Certificate per ServiceAccount of a
 * running meshed pod there, and none for any other. cert-manager does not delete a Certificate's
 * Secret with it, so the Secret goes too: a stale identity must not stay mountable.
 */
export class IdentityReconciler implements Reconciler {
  readonly name = 'identity';

  constructor(
    private readonly reader: ObservedStateReader,
    private readonly writer: ClusterWriter,
    private readonly issuerRef: IssuerRef = meshIssuerRef,
  ) {}

  async reconcile(key: ObjectKey, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const namespace = key.name;
    // One namespace's pods and Certificates, from the caches' namespace index: not a whole snapshot.
    const meshConfig = this.reader.meshConfig();
    if (!meshConfig) return undefined;
    const pods = this.reader.pods(namespace);
    const desired = desiredCertificates({ meshConfig, pods }, namespace, this.issuerRef);
    const existing = this.reader.identityCertificates(namespace);
    for (const cert of desired) {
      const have = existing.find((c) => c.metadata.name === cert.metadata.name);
      const hash = cert.metadata.annotations?.[configHashAnnotation];
      const same =
        have?.metadata.annotations?.[configHashAnnotation] === hash &&
        sameOwners(have?.metadata, cert.metadata.ownerReferences ?? []);
      if (same) continue;
      signal.throwIfAborted();
      await this.writer.apply(cert);
    }
    const wanted = new Set(desired.map((c) => c.metadata.name));
    for (const cert of existing) {
      if (wanted.has(cert.metadata.name)) continue;
      signal.throwIfAborted();
      await this.writer.delete({
        apiVersion: cert.apiVersion,
        kind: cert.kind,
        namespace,
        name: cert.metadata.name,
      });
      await this.writer.delete({ apiVersion: 'v1', kind: 'Secret', namespace, name: cert.spec.secretName });
    }
    return undefined;
  }
}
