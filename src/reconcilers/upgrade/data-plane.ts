import type {
  CoreV1Event,
  V1DaemonSet,
  V1Deployment,
  V1Namespace,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { MeshConfig, MeshConfigStatus } from '../../api/crds/index.js';
import { driftReport } from './drift.js';
import { outdatedReport } from './outdated.js';
import { planRollout } from './rollout.js';

import type { WorkloadStamp } from './workloads.js';

export type { WorkloadRef, WorkloadStamp } from './workloads.js';

/**
 * Everything the data-plane plan reads. Lists as the API server returns them; `now` is passed in so
 * the plan is a pure function of its input (tests, and a resumed operator, get the same answer).
 */
export interface DataPlaneObserved {
  mesh: MeshConfig;
  /** The version the control plane (injector) runs now: pods whose proxy differs are outdated. */
  installedVersion: string;
  pods: readonly V1Pod[];
  /** For injection drift: a namespace label opts its pods in. */
  namespaces: readonly V1Namespace[];
  /** To find the Deployment behind a ReplicaSet's pod. */
  replicaSets: readonly V1ReplicaSet[];
  deployments: readonly V1Deployment[];
  statefulSets: readonly V1StatefulSet[];
  daemonSets: readonly V1DaemonSet[];
  now: Date;
}

/**
 * The MeshConfig status fields this plan owns. The install reconciler copies all three into its one
 * status write; an absent field means "remove it" (server-side apply drops what the manager omits).
 */
export type DataPlaneStatus = Pick<MeshConfigStatus, 'outdatedPods' | 'injectionDrift' | 'rollout'>;

/** A condition the install reconciler should set to True, with this reason and message. */
export interface DataPlaneVerdict {
  type: 'Progressing' | 'Degraded';
  reason: string;
  message: string;
}

/**
 * One workload write: `restart` changes the pod template (the controller rolls the pods, as
 * `kubectl rollout restart` does); `available` only records on the workload when it became
 * available, so the pace is counted from there after an operator restart too.
 */
export interface WorkloadWrite {
  action: 'restart' | 'available';
  stamp: WorkloadStamp;
}

export interface DataPlanePlan {
  status: DataPlaneStatus;
  /** At most one write per plan: the next plan sees its result, so nothing is restarted twice. */
  write?: WorkloadWrite;
  /** One Warning event per drifting pod; names derive from the pod's UID, so each is recorded once. */
  events: CoreV1Event[];
  verdict?: DataPlaneVerdict;
  /**
   * Plan again after this long: sooner while a rollout waits for a workload, its pace or its timeout,
   * else after rescanMs, because pods and workloads are not watched for this plan.
   */
  requeueAfterMs: number;
}

/** Drift and outdated pods are looked for again this often when no rollout step is due sooner. */
export const rescanMs = 60_000;

/**
 * The data plane's desired state from observed state alone: outdated pods, injection drift, and for
 * RollingRestart the next step of the rollout. Rollout progress lives in the workloads' own
 * annotations (workloads.ts), so any operator replica derives the same plan.
 */
export function planDataPlane(observed: DataPlaneObserved): DataPlanePlan {
  const outdated = outdatedReport(observed.pods, observed.installedVersion);
  const drift = driftReport(observed);
  const rollout =
    observed.mesh.spec.upgrade.strategy === 'RollingRestart' ? planRollout(observed) : undefined;
  return {
    status: {
      outdatedPods: outdated,
      injectionDrift: drift.sample,
      ...(rollout?.rollout ? { rollout: rollout.rollout } : {}),
    },
    events: drift.events,
    ...(rollout?.write ? { write: rollout.write } : {}),
    ...(rollout?.verdict ? { verdict: rollout.verdict } : {}),
    requeueAfterMs: Math.min(rollout?.requeueAfterMs ?? rescanMs, rescanMs),
  };
}
