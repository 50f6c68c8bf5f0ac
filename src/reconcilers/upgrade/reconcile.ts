import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { MeshConfig } from '../../api/crds/index.js';
import type { DataPlaneMetrics } from '../../operator/upgrade-metrics.js';
import { type ClusterWriter, kubeWriter } from '../writer.js';
import { applyDataPlane, RecordedEvents } from './apply.js';
import { type DataPlanePlan, planDataPlane } from './data-plane.js';
import { observeDataPlane } from './observe.js';

export interface DataPlaneReconcilerOptions {
  kc: KubeConfig;
  logger: Logger;
  /** Defaults to the API server (server-side apply, field manager trellis-operator). */
  writer?: ClusterWriter;
  metrics?: DataPlaneMetrics;
  /** Confine observation to one namespace (tests on a shared cluster). */
  namespace?: string;
  now?: () => Date;
}

/**
 * Observe, plan, apply: what the install reconciler calls after its install step. It returns the
 * plan, whose status fields and verdict go into the install reconciler's one MeshConfig status
 * write and whose requeueAfterMs becomes (at most) its own. One instance per operator process: it
 * remembers which drift events it has recorded.
 */
export class DataPlaneReconciler {
  readonly #options: DataPlaneReconcilerOptions;
  readonly #writer: ClusterWriter;
  readonly #recorded = new RecordedEvents();

  constructor(options: DataPlaneReconcilerOptions) {
    this.#options = options;
    this.#writer = options.writer ?? kubeWriter(options.kc);
  }

  async reconcile(mesh: MeshConfig, installedVersion: string): Promise<DataPlanePlan> {
    const { kc, logger, metrics, namespace } = this.#options;
    const now = this.#options.now?.() ?? new Date();
    const observed = await observeDataPlane(kc, mesh, installedVersion, now, namespace);
    const plan = planDataPlane(observed);
    metrics?.record({
      drift: plan.status.injectionDrift?.count ?? 0,
      outdated: plan.status.outdatedPods?.count ?? 0,
    });
    if (plan.write) {
      logger.info(
        { workload: plan.write.stamp.workload, action: plan.write.action, version: installedVersion },
        plan.write.action === 'restart' ? 'restarting workload for the upgrade' : 'workload available',
      );
    }
    // Debug only: a paused rollout is planned every few seconds, and the Degraded condition says it once.
    if (plan.verdict) logger.debug({ verdict: plan.verdict }, 'data-plane verdict');
    await applyDataPlane(this.#writer, plan, this.#recorded);
    return plan;
  }
}
