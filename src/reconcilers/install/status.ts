import type { KubernetesObject, V1Deployment, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import type { Condition, MeshConfigStatus } from '../../api/crds/index.js';
import { canonicalJson } from '../canonical-json.js';
import type { Verdict } from '../policies/outcome.js';
import { describeObject } from './object.js';

/** A cert-manager Certificate as read: only its Ready condition matters here. */
export type CertificateObject = KubernetesObject & {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
};

/** What the status is computed from, read from the API server after the apply. */
export interface ObservedInstall {
  caCertificate?: CertificateObject | undefined;
  webhookCertificate?: CertificateObject | undefined;
  webhook?: V1MutatingWebhookConfiguration | undefined;
  deployment?: V1Deployment | undefined;
}

const certificateReady = (cert: CertificateObject | undefined, what: string, reason: string) => {
  if (!cert?.metadata)
    return { status: 'False' as const, reason, message: `the ${what} Certificate does not exist yet` };
  const ready = cert.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return undefined;
  const name = describeObject({
    kind: 'Certificate',
    namespace: cert.metadata.namespace,
    name: cert.metadata.name ?? '',
  });
  return {
    status: 'False' as const,
    reason,
    message: `${name} is not Ready: ${ready?.message ?? 'not issued yet'}`,
  };
};

const available = (d: V1Deployment | undefined) =>
  d?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;

/**
 * Ready: the mesh CA is Ready, the injector's serving certificate is issued, cainjector has filled
 * every caBundle and the injector Deployment is available. The first missing piece is the reason.
 */
export function readiness(observed: ObservedInstall): Verdict {
  const ca = certificateReady(observed.caCertificate, 'mesh CA', 'CertificateAuthorityNotReady');
  if (ca) return ca;
  const serving = certificateReady(
    observed.webhookCertificate,
    'injector serving',
    'WebhookCertificateNotIssued',
  );
  if (serving) return serving;
  const webhooks = observed.webhook?.webhooks ?? [];
  if (webhooks.length === 0 || webhooks.some((w) => !w.clientConfig.caBundle)) {
    return {
      status: 'False',
      reason: 'CABundleNotInjected',
      message: `cert-manager's cainjector has not filled the caBundle of MutatingWebhookConfiguration ${observed.webhook?.metadata?.name ?? '(not created yet)'}`,
    };
  }
  const d = observed.deployment;
  if (!available(d)) {
    return {
      status: 'False',
      reason: 'InjectorUnavailable',
      message: `the injector Deployment has ${d?.status?.availableReplicas ?? 0} of ${d?.spec?.replicas ?? 0} replicas available`,
    };
  }
  return {
    status: 'True',
    reason: 'Installed',
    message: `the mesh CA is ready and ${d?.status?.availableReplicas ?? 0} injector replicas serve with an issued certificate`,
  };
}

/**
 * Whether the injector Deployment runs `image` everywhere: the rollout is observed, every replica is
 * updated, none of the old ones is left, all are available. Only then is a version installed.
 */
export function rolledOut(d: V1Deployment | undefined, image: string): boolean {
  if (!d?.spec || !d.status) return false;
  const want = d.spec.replicas ?? 1;
  return (
    d.spec.template.spec?.containers.every((c) => c.image === image) === true &&
    (d.status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    d.status.updatedReplicas === want &&
    d.status.replicas === want &&
    d.status.availableReplicas === want &&
    available(d)
  );
}

/** The part of the status the data-plane upgrade step adds (src/reconcilers/upgrade/). */
export interface DataPlaneStatus {
  fields: Pick<MeshConfigStatus, 'outdatedPods' | 'rollout' | 'injectionDrift'>;
  /** Its own Progressing / Degraded verdicts, when it has one (a rollout under way, a failed workload). */
  progressing?: Verdict | undefined;
  degraded?: Verdict | undefined;
}

export interface StatusInput {
  generation: number;
  previous: MeshConfigStatus | undefined;
  /** The version the spec asks for; undefined when the spec is invalid. */
  version: string | undefined;
  rolledOut: boolean;
  ready: Verdict;
  /** Why nothing or not everything was applied (invalid spec, field conflicts, failed writes). */
  problem?: Verdict | undefined;
  dataPlane?: DataPlaneStatus | undefined;
  now: Date;
}

/**
 * The MeshConfig's whole status, written in one apply. installedVersion moves to the requested version
 * once the injector has rolled out with it; Progressing says Installing or Upgrading until then (or
 * what the data-plane step reports); Degraded carries the first problem. lastTransitionTime changes
 * only with a condition's status (API conventions).
 */
export function installStatus(input: StatusInput): MeshConfigStatus {
  const installedVersion =
    input.version !== undefined && input.rolledOut ? input.version : input.previous?.installedVersion;
  const progressing: Verdict =
    input.version === undefined
      ? { status: 'False', reason: 'InvalidSpec', message: 'waiting for a spec that can be installed' }
      : installedVersion === undefined
        ? { status: 'True', reason: 'Installing', message: `installing ${input.version}` }
        : installedVersion !== input.version
          ? {
              status: 'True',
              reason: 'Upgrading',
              message: `the injector is rolling out ${input.version} (${installedVersion} runs)`,
            }
          : (input.dataPlane?.progressing ?? {
              status: 'False',
              reason: 'UpToDate',
              message: `${installedVersion} is installed`,
            });
  const degraded: Verdict = input.problem ??
    input.dataPlane?.degraded ?? { status: 'False', reason: 'AsExpected', message: 'no problem found' };
  const stamp = (type: string, v: Verdict): Condition => {
    const prev = input.previous?.conditions?.find((c) => c.type === type);
    const lastTransitionTime =
      prev && prev.status === v.status
        ? prev.lastTransitionTime
        : input.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { type, ...v, observedGeneration: input.generation, lastTransitionTime };
  };
  return {
    observedGeneration: input.generation,
    ...(installedVersion !== undefined ? { installedVersion } : {}),
    conditions: [stamp('Ready', input.ready), stamp('Progressing', progressing), stamp('Degraded', degraded)],
    ...input.dataPlane?.fields,
  };
}

/** Whether `next` says what `stored` says (transition times aside): then nothing is written. */
export function sameStatus(stored: MeshConfigStatus | undefined, next: MeshConfigStatus): boolean {
  const strip = (s: MeshConfigStatus | undefined) =>
    canonicalJson({
      ...s,
      conditions: s?.conditions?.map(({ lastTransitionTime: _t, ...c }) => c),
    });
  return strip(stored) === strip(next);
}
