import { identitySecretName, spiffeId } from '../api/names.js';
import { canonicalJson, contentHash } from './canonical-json.js';
import { componentLabel, configHashAnnotation, managedBy, meshConfigOwner } from './labels.js';
import { activeMeshedPods, serviceAccountOf } from './meshed.js';
import type { Certificate, ObservedState } from './observed.js';

export interface IssuerRef {
  name: string;
  kind: 'Issuer' | 'ClusterIssuer';
  group: string;
}

/**
 * The mesh CA issuer the install reconciler creates and workload certificates are signed by. A name
 * both reconcilers must agree on; tests pass their own CA Issuer instead.
 */
export const meshIssuerRef: IssuerRef = {
  name: 'trellis-mesh-ca',
  kind: 'ClusterIssuer',
  group: 'cert-manager.io',
};

export const identityComponent = 'identity';
export const serviceAccountAnnotation = 'trellis.dev/service-account';

/** Object names may be 253 characters; longer ServiceAccount names cannot have an identity Secret. */
const maxName = 253;

/** Service accounts of the namespace's running meshed pods, sorted. */
export function meshedServiceAccounts(state: Pick<ObservedState, 'pods'>, namespace: string): string[] {
  const pods = activeMeshedPods(state.pods).filter((p) => p.metadata?.namespace === namespace);
  return [...new Set(pods.map(serviceAccountOf))]
    .filter((sa) => identitySecretName(sa).length <= maxName)
    .sort();
}

/**
 * One Certificate per meshed ServiceAccount: the SPIFFE ID as its only SAN (a URI), ECDSA P-256 with a
 * new key on every renewal, client and server usages (the same certificate serves both mTLS ends),
 * lifetime and renewal from the MeshConfig. The hash annotation covers the spec, so an unchanged
 * Certificate is never written again.
 */
export function desiredCertificates(
  state: Pick<ObservedState, 'meshConfig' | 'pods'>,
  namespace: string,
  issuerRef: IssuerRef,
): Certificate[] {
  const mesh = state.meshConfig;
  if (!mesh) return [];
  const { duration, renewBefore } = mesh.spec.certificates.workload;
  const labels = { [managedBy.key]: managedBy.value, [componentLabel]: identityComponent };
  return meshedServiceAccounts(state, namespace).map((sa) => {
    const name = identitySecretName(sa);
    const spec: Certificate['spec'] = {
      secretName: name,
      uris: [spiffeId(mesh.spec.trustDomain, namespace, sa)],
      duration,
      renewBefore,
      issuerRef: { name: issuerRef.name, kind: issuerRef.kind, group: issuerRef.group },
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
      secretTemplate: { labels },
    };
    return {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: {
        name,
        namespace,
        labels,
        annotations: {
          [serviceAccountAnnotation]: sa,
          [configHashAnnotation]: contentHash(canonicalJson(spec)),
        },
        ownerReferences: meshConfigOwner(mesh),
      },
      spec,
    };
  });
}
