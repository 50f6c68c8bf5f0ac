import type { V1Deployment, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  type MeshConfig,
  type MeshConfigSpec,
  type MeshConfigStatus,
  meshConfigName,
  meshConfigSpec,
  meshConfigStatus,
} from '../../api/crds/index.js';
import { apiVersion } from '../../api/names.js';
import type { ObjectKey, ReconcileResult, Reconciler } from '../../operator/reconciler.js';
import type { Verdict } from '../policies/outcome.js';
import type { DataPlanePlan } from '../upgrade/data-plane.js';
import { ApplyConflict, type InstallApi, type RawMeshConfig } from './api.js';
import { desiredInstall } from './desired.js';
import { describeObject, type InstallObject, refOf } from './object.js';
import {
  type CertificateObject,
  type DataPlaneStatus,
  installStatus,
  type ObservedInstall,
  readiness,
  rolledOut,
  sameStatus,
} from './status.js';
import { type InstallTarget, installNames } from './target.js';
import { uninstallFinalizer, uninstallOrder } from './uninstall.js';
import { controlPlaneImageFor } from './version.js';

/**
 * The data-plane upgrade step (src/reconcilers/upgrade/, DataPlaneReconciler.reconcile): run after the
 * install step once a control-plane version is installed; its status fields and verdict are merged
 * into the one status write, its requeue becomes ours.
 */
export type DataPlaneStep = (
  mesh: MeshConfig,
  installedVersion: string,
) => Promise<Pick<DataPlanePlan, 'status' | 'verdict' | 'requeueAfterMs'>>;

export interface InstallReconcilerOptions {
  /** The data-plane step; absent, the status carries no data-plane fields. */
  dataPlane?: DataPlaneStep;
  /** How soon a field conflict is looked at again when nothing else changes. */
  conflictRecheckMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/**
 * MeshConfig `default` → a running control plane (desired.ts), its status, and uninstall through the
 * `trellis.dev/uninstall` finalizer. Every object is server-side applied on every reconcile, unforced:
 * an unchanged apply is a no-op on the server (no new resourceVersion), a deleted object comes back,
 * and a field another manager (Argo CD, kubectl) took is reported as Degraded, not taken back.
 */
export class InstallReconciler implements Reconciler {
  readonly name = 'install';

  constructor(
    private readonly api: InstallApi,
    private readonly target: InstallTarget,
    private readonly options: InstallReconcilerOptions = {},
  ) {}

  async reconcile(key: ObjectKey, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    if (key.namespace !== undefined || key.name !== meshConfigName) return undefined;
    const raw = await this.api.meshConfig(key.name);
    if (!raw) return undefined;
    const finalizers = raw.metadata.finalizers ?? [];
    if (raw.metadata.deletionTimestamp) {
      if (finalizers.includes(uninstallFinalizer)) await this.uninstall(raw, signal);
      return undefined;
    }
    if (!finalizers.includes(uninstallFinalizer)) {
      await this.api.applyMeshConfigFinalizers(raw.metadata.name, [uninstallFinalizer]);
    }
    return this.install(raw, signal);
  }

  private async install(raw: RawMeshConfig, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const uid = raw.metadata.uid;
    if (!uid) throw new Error('the MeshConfig read has no uid');
    const owner = { apiVersion: raw.apiVersion, kind: raw.kind, name: raw.metadata.name, uid };
    const stored = meshConfigStatus.safeParse(raw.status ?? {});
    const previous = stored.success ? stored.data : undefined;
    const parsed = meshConfigSpec.safeParse(raw.spec ?? {});
    const desired = parsed.success
      ? desiredInstall(parsed.data, this.target, owner)
      : {
          ok: false as const,
          message: parsed.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`).join('; '),
        };

    let problem: Verdict | undefined;
    const failures: string[] = [];
    if (!desired.ok) {
      problem = { status: 'True', reason: 'InvalidSpec', message: desired.message };
    } else {
      const conflicts: string[] = [];
      for (const obj of desired.objects) {
        signal.throwIfAborted();
        try {
          await this.api.apply(obj);
        } catch (err) {
          const line = `${describeObject(refOf(obj))}: ${(err as Error).message}`;
          if (err instanceof ApplyConflict) conflicts.push(line);
          else failures.push(line);
        }
      }
      if (failures.length === 0) await this.prune(desired.objects, signal);
      if (failures.length > 0)
        problem = { status: 'True', reason: 'ApplyFailed', message: failures.join('; ') };
      else if (conflicts.length > 0) {
        problem = {
          status: 'True',
          reason: 'FieldConflict',
          message: `another field manager owns fields the operator sets; resolve it there: ${conflicts.join('; ')}`,
        };
      }
    }

    const observed = await this.observe();
    const version = desired.ok ? desired.version : undefined;
    const done = version !== undefined && rolledOut(observed.deployment, controlPlaneImageFor(version));
    const installedVersion = done ? version : previous?.installedVersion;
    const dataPlane =
      parsed.success && desired.ok && installedVersion !== undefined
        ? await this.dataPlane(raw, parsed.data, previous, installedVersion)
        : undefined;
    const status = installStatus({
      generation: raw.metadata.generation ?? 0,
      previous,
      version,
      rolledOut: done,
      ready: readiness(observed),
      problem,
      dataPlane,
      now: (this.options.now ?? (() => new Date()))(),
    });
    if (!sameStatus(previous, status)) {
      signal.throwIfAborted();
      await this.api.applyMeshConfigStatus(raw.metadata.name, status);
      this.options.logger?.info(
        { conditions: status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`) },
        'MeshConfig status',
      );
    }
    // Retried with backoff by the queue; the status already says what failed.
    if (failures.length > 0) throw new Error(`install incomplete: ${failures.join('; ')}`);
    if (dataPlane?.error) throw dataPlane.error;
    if (problem?.reason === 'FieldConflict')
      return { requeueAfterMs: this.options.conflictRecheckMs ?? 60_000 };
    return dataPlane?.requeueAfterMs !== undefined ? { requeueAfterMs: dataPlane.requeueAfterMs } : undefined;
  }

  /**
   * The data-plane step's part of the status. It fails on its own terms (a list refused, a restart not
   * written): that is Degraded with its message, and the error goes on to the queue's backoff.
   */
  private async dataPlane(
    raw: RawMeshConfig,
    spec: MeshConfigSpec,
    previous: MeshConfigStatus | undefined,
    installedVersion: string,
  ): Promise<(DataPlaneStatus & { requeueAfterMs?: number; error?: Error }) | undefined> {
    const step = this.options.dataPlane;
    if (!step) return undefined;
    // The upgrade step reads the spec only; it is handed the MeshConfig in the shape it types.
    const mesh: MeshConfig = {
      apiVersion,
      kind: 'MeshConfig',
      metadata: {
        name: raw.metadata.name,
        ...(raw.metadata.uid ? { uid: raw.metadata.uid } : {}),
        ...(raw.metadata.generation !== undefined ? { generation: raw.metadata.generation } : {}),
      },
      spec,
      ...(previous ? { status: previous } : {}),
    };
    try {
      const plan = await step(mesh, installedVersion);
      const verdict = plan.verdict && {
        status: 'True' as const,
        reason: plan.verdict.reason,
        message: plan.verdict.message,
      };
      return {
        fields: plan.status,
        ...(plan.verdict?.type === 'Progressing' ? { progressing: verdict } : {}),
        ...(plan.verdict?.type === 'Degraded' ? { degraded: verdict } : {}),
        requeueAfterMs: plan.requeueAfterMs,
      };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return {
        // What it last reported stays until it can report again.
        fields: {
          ...(previous?.outdatedPods ? { outdatedPods: previous.outdatedPods } : {}),
          ...(previous?.injectionDrift ? { injectionDrift: previous.injectionDrift } : {}),
          ...(previous?.rollout ? { rollout: previous.rollout } : {}),
        },
        degraded: { status: 'True', reason: 'DataPlaneFailed', message: error.message },
        error,
      };
    }
  }

  /**
   * Deletes what the install made once and no longer wants: the bootstrap Issuer after
   * `certificates.root` moved to the user's issuerRef. Secrets are not among the desired objects
   * (cert-manager writes them) and stay.
   */
  private async prune(desired: readonly InstallObject[], signal: AbortSignal): Promise<void> {
    const wanted = new Set(desired.map((o) => describeObject(refOf(o))));
    for (const ref of uninstallOrder(this.target)) {
      if (ref.kind === 'Secret' || wanted.has(describeObject(ref))) continue;
      signal.throwIfAborted();
      await this.api.delete(ref);
    }
  }

  private async observe(): Promise<ObservedInstall> {
    const n = installNames(this.target);
    const cm = 'cert-manager.io/v1';
    const [caCertificate, webhookCertificate, webhook, deployment] = await Promise.all([
      this.api.get<CertificateObject>({
        apiVersion: cm,
        kind: 'Certificate',
        namespace: this.target.clusterResourceNamespace,
        name: n.caCertificate,
      }),
      this.api.get<CertificateObject>({
        apiVersion: cm,
        kind: 'Certificate',
        namespace: this.target.namespace,
        name: n.injector,
      }),
      this.api.get<V1MutatingWebhookConfiguration>({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        name: n.webhook,
      }),
      this.api.get<V1Deployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: this.target.namespace,
        name: n.injector,
      }),
    ]);
    return { caCertificate, webhookCertificate, webhook, deployment };
  }

  /**
   * The webhook configuration first, confirmed gone before anything else is touched; then the rest;
   * then the finalizer is released and the API server finishes deleting the MeshConfig.
   */
  private async uninstall(raw: RawMeshConfig, signal: AbortSignal): Promise<void> {
    const [webhook, ...rest] = uninstallOrder(this.target);
    if (!webhook) throw new Error('uninstall order is empty');
    await this.api.delete(webhook);
    if (await this.api.get(webhook)) {
      throw new Error(`${describeObject(webhook)} is still there; nothing else is removed before it`);
    }
    for (const ref of rest) {
      signal.throwIfAborted();
      await this.api.delete(ref);
    }
    await this.api.applyMeshConfigFinalizers(raw.metadata.name, []);
    this.options.logger?.info('uninstalled; finalizer released');
  }
}
