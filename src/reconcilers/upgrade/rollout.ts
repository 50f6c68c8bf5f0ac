import type { V1ReplicaSet } from '@kubernetes/client-node';
import { durationMs } from '../policies/duration.js';
import type { DataPlaneObserved, DataPlaneStatus, DataPlaneVerdict, WorkloadWrite } from './data-plane.js';
import { outdatedPods } from './outdated.js';
import {
  compareRefs,
  describeRef,
  isAvailable,
  refKey,
  refOf,
  stampOf,
  type Workload,
  type WorkloadRef,
  type WorkloadStamp,
  workloadRefOfPod,
} from './workloads.js';

/** While a restarted workload is not available yet, look again this often (the workloads are not watched). */
export const availabilityPollMs = 5_000;

export interface RolloutPlan {
  rollout?: DataPlaneStatus['rollout'];
  write?: WorkloadWrite;
  verdict?: DataPlaneVerdict;
  requeueAfterMs?: number;
}

export const rolloutReasons = {
  restarting: 'RollingRestart',
  waiting: 'WaitingForWorkload',
  pacing: 'RolloutPace',
  timedOut: 'WorkloadNotAvailable',
} as const;

function allWorkloads(observed: DataPlaneObserved): Workload[] {
  return [
    ...observed.deployments.map((object) => ({ kind: 'Deployment' as const, object })),
    ...observed.statefulSets.map((object) => ({ kind: 'StatefulSet' as const, object })),
    ...observed.daemonSets.map((object) => ({ kind: 'DaemonSet' as const, object })),
  ];
}

/** Milliseconds since epoch of an annotation's time, or undefined when it is absent or not a time. */
function timeOf(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The next step of a RollingRestart, from observed state alone. The workloads in this rollout are
 * the ones restarted for `installedVersion` (their template says so) plus the ones still running an
 * outdated meshed pod. One at a time, in a fixed order: a restarted workload must become available
 * (then it is marked so, which starts the pace) before the next is restarted; one that is not
 * available within workloadTimeout stops the rollout as Degraded until it is.
 */
export function planRollout(observed: DataPlaneObserved): RolloutPlan {
  const version = observed.installedVersion;
  const { pace, workloadTimeout, paused } = observed.mesh.spec.upgrade;
  const now = observed.now.getTime();
  const nowText = observed.now.toISOString();

  const replicaSets = new Map<string, V1ReplicaSet>();
  for (const rs of observed.replicaSets) if (rs.metadata?.uid) replicaSets.set(rs.metadata.uid, rs);
  const outdated = new Set<string>();
  for (const pod of outdatedPods(observed.pods, version)) {
    const ref = workloadRefOfPod(pod, replicaSets);
    if (ref) outdated.add(refKey(ref));
  }

  const done: WorkloadStamp[] = [];
  const inFlight: { workload: Workload; stamp: WorkloadStamp }[] = [];
  const pending: WorkloadRef[] = [];
  for (const workload of allWorkloads(observed)) {
    const ref = refOf(workload);
    const stamp = stampOf(workload, version);
    if (stamp?.availableAt) done.push(stamp);
    else if (stamp) inFlight.push({ workload, stamp });
    else if (outdated.has(refKey(ref))) pending.push(ref);
  }
  const total = done.length + inFlight.length + pending.length;
  if (total === 0) return {};
  inFlight.sort((a, b) => compareRefs(a.stamp.workload, b.stamp.workload));
  pending.sort(compareRefs);
  const progress = (current?: WorkloadRef) => ({
    total,
    restarted: done.length,
    ...(current ? { current } : {}),
  });

  const first = inFlight[0];
  if (first) {
    const { workload, stamp } = first;
    const started = timeOf(stamp.restartedAt);
    if (isAvailable(workload)) {
      // Bookkeeping only (the template is applied unchanged): allowed while paused.
      return {
        rollout: progress(stamp.workload),
        write: {
          action: 'available',
          stamp: { ...stamp, restartedAt: stamp.restartedAt || nowText, availableAt: nowText },
        },
        verdict: {
          type: 'Progressing',
          reason: rolloutReasons.waiting,
          message: `${describeRef(stamp.workload)} is available`,
        },
        requeueAfterMs: 0,
      };
    }
    if (started === undefined) {
      // The restart time was removed by someone: record a new one; the template stays as it is.
      return {
        rollout: progress(stamp.workload),
        write: { action: 'restart', stamp: { ...stamp, restartedAt: nowText } },
        verdict: {
          type: 'Progressing',
          reason: rolloutReasons.waiting,
          message: `waiting for ${describeRef(stamp.workload)} to become available`,
        },
        requeueAfterMs: availabilityPollMs,
      };
    }
    const timeoutMs = durationMs(workloadTimeout);
    const left = started + timeoutMs - now;
    if (left <= 0) {
      return {
        rollout: progress(stamp.workload),
        verdict: {
          type: 'Degraded',
          reason: rolloutReasons.timedOut,
          message: `${describeRef(stamp.workload)} did not become available within ${workloadTimeout} of its restart; the rollout is paused until it does`,
        },
        // Nothing is restarted until the workload recovers; keep looking so the rollout resumes then.
        requeueAfterMs: availabilityPollMs,
      };
    }
    return {
      rollout: progress(stamp.workload),
      verdict: {
        type: 'Progressing',
        reason: rolloutReasons.waiting,
        message: `waiting for ${describeRef(stamp.workload)} to become available (${done.length} of ${total} done)`,
      },
      requeueAfterMs: Math.min(availabilityPollMs, left),
    };
  }

  const next = pending[0];
  if (!next) return { rollout: progress() };
  if (paused) return { rollout: progress() };

  const lastAvailable = Math.max(0, ...done.map((s) => timeOf(s.availableAt) ?? 0));
  const wait = lastAvailable + durationMs(pace) - now;
  if (wait > 0) {
    return {
      rollout: progress(),
      verdict: {
        type: 'Progressing',
        reason: rolloutReasons.pacing,
        message: `restarting ${describeRef(next)} after the pace of ${pace} (${done.length} of ${total} done)`,
      },
      requeueAfterMs: wait,
    };
  }
  return {
    rollout: progress(next),
    write: { action: 'restart', stamp: { workload: next, version, restartedAt: nowText } },
    verdict: {
      type: 'Progressing',
      reason: rolloutReasons.restarting,
      message: `restarting ${describeRef(next)} (${done.length + 1} of ${total})`,
    },
    requeueAfterMs: availabilityPollMs,
  };
}
