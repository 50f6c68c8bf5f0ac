import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  type CertificateObject,
  installStatus,
  type ObservedInstall,
  readiness,
  rolledOut,
  type StatusInput,
  sameStatus,
} from './status.js';

const image = 'ghcr.io/trellis-mesh/trellis-control-plane:0.2.0';
const cert = (ready: boolean, message?: string): CertificateObject => ({
  metadata: { name: 'c', namespace: 'ns' },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', ...(message ? { message } : {}) }],
  },
});
const deployment = (
  over: { image?: string; available?: boolean; updated?: number; total?: number; observed?: number } = {},
): V1Deployment => ({
  metadata: { name: 'trellis-injector', generation: 2 },
  spec: {
    replicas: 2,
    selector: {},
    template: { spec: { containers: [{ name: 'injector', image: over.image ?? image }] } },
  },
  status: {
    observedGeneration: over.observed ?? 2,
    replicas: over.total ?? 2,
    updatedReplicas: over.updated ?? 2,
    availableReplicas: 2,
    conditions: [{ type: 'Available', status: over.available === false ? 'False' : 'True' }],
  },
});
const ok: ObservedInstall = {
  caCertificate: cert(true),
  webhookCertificate: cert(true),
  webhook: {
    webhooks: [
      { name: 'a', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { caBundle: 'Y2E=' } },
    ],
  },
  deployment: deployment(),
};

describe('readiness', () => {
  it.each<[string, ObservedInstall, string, string]>([
    [
      'everything in place',
      ok,
      'Installed',
      'the mesh CA is ready and 2 injector replicas serve with an issued certificate',
    ],
    [
      'no CA Certificate yet',
      { ...ok, caCertificate: undefined },
      'CertificateAuthorityNotReady',
      'the mesh CA Certificate does not exist yet',
    ],
    [
      'CA not issued',
      { ...ok, caCertificate: cert(false, 'Issuing certificate as Secret does not exist') },
      'CertificateAuthorityNotReady',
      'Certificate ns/c is not Ready: Issuing certificate as Secret does not exist',
    ],
    [
      'serving certificate not issued',
      { ...ok, webhookCertificate: cert(false) },
      'WebhookCertificateNotIssued',
      'Certificate ns/c is not Ready: not issued yet',
    ],
    [
      'caBundle empty',
      {
        ...ok,
        webhook: {
          webhooks: [{ name: 'a', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: {} }],
        },
      },
      'CABundleNotInjected',
      "cert-manager's cainjector has not filled the caBundle of MutatingWebhookConfiguration (not created yet)",
    ],
    [
      'injector unavailable',
      { ...ok, deployment: deployment({ available: false }) },
      'InjectorUnavailable',
      'the injector Deployment has 2 of 2 replicas available',
    ],
  ])('%s → %s', (_what, observed, reason, message) => {
    const v = readiness(observed);
    expect(v.reason).toBe(reason);
    expect(v.status).toBe(reason === 'Installed' ? 'True' : 'False');
    expect(v.message).toBe(message);
  });
});

describe('rolledOut', () => {
  it.each<[string, V1Deployment | undefined, boolean]>([
    ['every replica updated and available', deployment(), true],
    ['an older image', deployment({ image: 'ghcr.io/trellis-mesh/trellis-control-plane:0.1.0' }), false],
    ['the rollout not observed yet', deployment({ observed: 1 }), false],
    ['one replica not updated', deployment({ updated: 1 }), false],
    ['an old replica still running', deployment({ total: 3 }), false],
    ['not available', deployment({ available: false }), false],
    ['no Deployment', undefined, false],
  ])('%s → %s', (_what, d, want) => {
    expect(rolledOut(d, image)).toBe(want);
  });
});

const at = new Date('2026-01-01T00:00:00.000Z');
const later = new Date('2026-01-01T01:00:00.000Z');
const base: StatusInput = {
  generation: 3,
  previous: undefined,
  version: '0.2.0',
  rolledOut: false,
  ready: { status: 'False', reason: 'InjectorUnavailable', message: 'm' },
  now: at,
};
const summary = (s: ReturnType<typeof installStatus>) =>
  s.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`).join(' ');

describe('installStatus', () => {
  it('is Installing until the first rollout, then UpToDate with installedVersion', () => {
    const first = installStatus(base);
    expect(first.installedVersion).toBeUndefined();
    expect(summary(first)).toBe(
      'Ready=False/InjectorUnavailable Progressing=True/Installing Degraded=False/AsExpected',
    );
    const done = installStatus({
      ...base,
      previous: first,
      rolledOut: true,
      ready: { status: 'True', reason: 'Installed', message: 'm' },
      now: later,
    });
    expect(done.installedVersion).toBe('0.2.0');
    expect(done.observedGeneration).toBe(3);
    expect(summary(done)).toBe('Ready=True/Installed Progressing=False/UpToDate Degraded=False/AsExpected');
    // Transition times move with status only: Degraded stayed False.
    expect(done.conditions?.map((c) => c.lastTransitionTime)).toEqual([
      '2026-01-01T01:00:00Z',
      '2026-01-01T01:00:00Z',
      '2026-01-01T00:00:00Z',
    ]);
  });

  it('is Upgrading while the injector rolls out a new version, keeping the installed one', () => {
    const s = installStatus({
      ...base,
      previous: { installedVersion: '0.1.0' },
      ready: { status: 'True', reason: 'Installed', message: 'm' },
    });
    expect(s.installedVersion).toBe('0.1.0');
    expect(s.conditions?.[1]).toMatchObject({
      status: 'True',
      reason: 'Upgrading',
      message: 'the injector is rolling out 0.2.0 (0.1.0 runs)',
    });
  });

  it('reports an invalid spec as Degraded and not Progressing, keeping installedVersion', () => {
    const s = installStatus({
      ...base,
      version: undefined,
      previous: { installedVersion: '0.1.0' },
      problem: { status: 'True', reason: 'InvalidSpec', message: 'bad' },
    });
    expect(s.installedVersion).toBe('0.1.0');
    expect(summary(s)).toBe(
      'Ready=False/InjectorUnavailable Progressing=False/InvalidSpec Degraded=True/InvalidSpec',
    );
  });

  it("merges the data-plane step's fields and verdicts once the control plane is up to date", () => {
    const s = installStatus({
      ...base,
      previous: { installedVersion: '0.2.0' },
      rolledOut: true,
      dataPlane: {
        fields: { outdatedPods: { count: 1, pods: [{ namespace: 'a', name: 'p', version: '0.1.0' }] } },
        progressing: { status: 'True', reason: 'RollingRestart', message: 'restarting a/web' },
        degraded: {
          status: 'True',
          reason: 'WorkloadUnavailable',
          message: 'a/web did not become available',
        },
      },
    });
    expect(s.outdatedPods?.count).toBe(1);
    expect(summary(s)).toBe(
      'Ready=False/InjectorUnavailable Progressing=True/RollingRestart Degraded=True/WorkloadUnavailable',
    );
  });

  it('an install problem wins over the data-plane verdict', () => {
    const s = installStatus({
      ...base,
      problem: { status: 'True', reason: 'FieldConflict', message: 'x' },
      dataPlane: { fields: {}, degraded: { status: 'True', reason: 'WorkloadUnavailable', message: 'y' } },
    });
    expect(s.conditions?.[2]?.reason).toBe('FieldConflict');
  });
});

describe('sameStatus', () => {
  it('ignores transition times and key order, and sees any other change', () => {
    const a = installStatus(base);
    const b = installStatus({ ...base, now: later });
    expect(sameStatus(a, b)).toBe(true);
    expect(sameStatus(Object.fromEntries(Object.entries(a).reverse()), b)).toBe(true);
    expect(sameStatus(a, installStatus({ ...base, generation: 4 }))).toBe(false);
    expect(sameStatus(undefined, a)).toBe(false);
  });
});
