import type { MeshConfigSpec } from '../../api/crds/index.js';
import { type InstallObject, type MeshOwner, ownerReferences } from './object.js';
import {
  type InstallTarget,
  injectorComponent,
  installLabels,
  installNames,
  meshCaComponent,
} from './target.js';

const cm = 'cert-manager.io/v1';

/** The DNS names the API server uses to reach the injector's Service. */
export function injectorDnsNames(target: InstallTarget): string[] {
  const { injector } = installNames(target);
  return [`${injector}.${target.namespace}.svc`, `${injector}.${target.namespace}.svc.cluster.local`];
}

/**
 * The mesh CA and the injector's serving certificate, all issued by cert-manager:
 * - a bootstrap self-signed Issuer signs the mesh root (or the user's issuerRef signs it as an
 *   intermediate);
 * - the ClusterIssuer `trellis-mesh-ca` is a CA issuer over that certificate's Secret. A ClusterIssuer
 *   reads its Secret from cert-manager's cluster resource namespace, so the CA Certificate, its Secret
 *   and the bootstrap Issuer (an Issuer signs only in its own namespace) live there; a user's
 *   `kind: Issuer` must live there too;
 * - the injector's serving Certificate is signed by the mesh CA; cainjector copies its `ca.crt` into
 *   the webhook's caBundle.
 * The CA keeps its key across renewals (rotationPolicy Never), so certificates it signed stay valid.
 */
export function desiredCertificates(
  spec: MeshConfigSpec,
  target: InstallTarget,
  owner: MeshOwner,
): InstallObject[] {
  const names = installNames(target);
  const meta = (name: string, namespace: string | undefined, component: string) => ({
    name,
    ...(namespace ? { namespace } : {}),
    labels: installLabels(target, component),
    ownerReferences: ownerReferences(owner),
  });
  const ca = target.clusterResourceNamespace;
  const { root } = spec.certificates;
  const selfSigned = !root.issuerRef;
  const caIssuer = root.issuerRef
    ? { name: root.issuerRef.name, kind: root.issuerRef.kind, group: root.issuerRef.group }
    : { name: names.selfSignedIssuer, kind: 'Issuer', group: 'cert-manager.io' };
  const objects: InstallObject[] = [];
  if (selfSigned) {
    objects.push({
      apiVersion: cm,
      kind: 'Issuer',
      metadata: meta(names.selfSignedIssuer, ca, meshCaComponent),
      spec: { selfSigned: {} },
    });
  }
  objects.push(
    {
      apiVersion: cm,
      kind: 'Certificate',
      metadata: meta(names.caCertificate, ca, meshCaComponent),
      spec: {
        isCA: true,
        commonName: `Trellis mesh CA ${spec.trustDomain}`,
        uris: [`spiffe://${spec.trustDomain}`],
        secretName: names.caSecret,
        // A root lives ten years; an intermediate from the user's issuer one.
        duration: selfSigned ? '87600h' : '8760h',
        renewBefore: '720h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
        usages: ['cert sign', 'crl sign', 'digital signature'],
        issuerRef: caIssuer,
      },
    },
    {
      apiVersion: cm,
      kind: 'ClusterIssuer',
      metadata: meta(names.clusterIssuer, undefined, meshCaComponent),
      spec: { ca: { secretName: names.caSecret } },
    },
    {
      apiVersion: cm,
      kind: 'Certificate',
      metadata: meta(names.injector, target.namespace, injectorComponent),
      spec: {
        commonName: injectorDnsNames(target)[0],
        dnsNames: injectorDnsNames(target),
        secretName: names.injectorTls,
        duration: '2160h',
        renewBefore: '360h',
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature', 'key encipherment'],
        issuerRef: { name: names.clusterIssuer, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    },
  );
  return objects;
}
