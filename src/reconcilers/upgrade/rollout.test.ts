import { describe, expect, it } from 'vitest';
import { availabilityPollMs, planRollout } from './rollout.js';
import {
  at,
  daemonSet,
  deployment,
  mesh,
  observed,
  pod,
  podsOf,
  replicaSet,
  statefulSet,
  t0,
} from './testing/fixtures.js';

const rs = [replicaSet('a-abc', 'a'), replicaSet('b-abc', 'b')];
const rolling = (over: Parameters<typeof mesh>[0] = {}) =>
  mesh({ strategy: 'RollingRestart', pace: '30s', workloadTimeout: '5m', ...over });
const A = { kind: 'Deployment', namespace: 'shop', name: 'a' } as const;
const B = { kind: 'Deployment', namespace: 'shop', name: 'b' } as const;
const iso = (seconds: number) => at(seconds).toISOString();

describe('planRollout', () => {
  it('plans nothing when no meshed pod is outdated and nothing was restarted', () => {
    expect(
      planRollout(
        observed({
          mesh: rolling(),
          pods: [...podsOf('Deployment', 'a', '0.2.0')],
          replicaSets: rs,
          deployments: [deployment('a')],
        }),
      ),
    ).toEqual({});
  });

  it('restarts the first outdated workload in namespace/name order', () => {
    const plan = planRollout(
      observed({
        mesh: rolling(),
        pods: [...podsOf('Deployment', 'b', '0.1.0'), ...podsOf('Deployment', 'a', '0.1.0')],
        replicaSets: rs,
        deployments: [deployment('b'), deployment('a')],
      }),
    );
    expect(plan).toEqual({
      rollout: { total: 2, restarted: 0, current: A },
      write: { action: 'restart', stamp: { workload: A, version: '0.2.0', restartedAt: t0.toISOString() } },
      verdict: {
        type: 'Progressing',
        reason: 'RollingRestart',
        message: 'restarting Deployment shop/a (1 of 2)',
      },
      requeueAfterMs: availabilityPollMs,
    });
  });

  // The state a restart leaves behind: A's template says 0.2.0, its old pods are still there.
  const afterRestartOfA = (available: boolean, now: Date) =>
    observed({
      mesh: rolling(),
      now,
      pods: [...podsOf('Deployment', 'a', '0.1.0'), ...podsOf('Deployment', 'b', '0.1.0')],
      replicaSets: rs,
      deployments: [
        deployment('a', { restartedFor: '0.2.0', restartedAt: iso(0), available }),
        deployment('b'),
      ],
    });

  it('waits for the restarted workload and never restarts it again (a resumed operator plans the same)', () => {
    const plan = planRollout(afterRestartOfA(false, at(10)));
    expect(plan).toEqual({
      rollout: { total: 2, restarted: 0, current: A },
      verdict: {
        type: 'Progressing',
        reason: 'WaitingForWorkload',
        message: 'waiting for Deployment shop/a to become available (0 of 2 done)',
      },
      requeueAfterMs: availabilityPollMs,
    });
    expect(planRollout(afterRestartOfA(false, at(10)))).toEqual(plan);
  });

  it('resumes mid-rollout from the workloads alone (failover): waits for the one in flight, restarts none', () => {
    const plan = planRollout(
      observed({
        mesh: rolling(),
        now: at(100),
        pods: [
          ...podsOf('Deployment', 'a', '0.2.0'),
          ...podsOf('Deployment', 'b', '0.1.0'),
          ...podsOf('Deployment', 'c', '0.1.0'),
        ],
        replicaSets: [...rs, replicaSet('c-abc', 'c')],
        deployments: [
          deployment('c'),
          deployment('b', { restartedFor: '0.2.0', restartedAt: iso(60), available: false }),
          deployment('a', { restartedFor: '0.2.0', restartedAt: iso(0), availableAt: iso(20) }),
        ],
      }),
    );
    expect(plan.write).toBeUndefined();
    expect(plan.rollout).toEqual({ total: 3, restarted: 1, current: B });
    expect(plan.verdict?.reason).toBe('WaitingForWorkload');
  });

  it('requeues no later than the timeout falls due', () => {
    expect(planRollout(afterRestartOfA(false, at(298))).requeueAfterMs).toBe(2000);
  });

  it('pauses as Degraded when the workload is not available within workloadTimeout', () => {
    const plan = planRollout(afterRestartOfA(false, at(300)));
    expect(plan).toEqual({
      rollout: { total: 2, restarted: 0, current: A },
      verdict: {
        type: 'Degraded',
        reason: 'WorkloadNotAvailable',
        message:
          'Deployment shop/a did not become available within 5m of its restart; the rollout is paused until it does',
      },
      requeueAfterMs: availabilityPollMs,
    });
    expect(plan.write).toBeUndefined();
  });

  it('records when the restarted workload became available, even after its timeout', () => {
    for (const now of [at(20), at(900)]) {
      expect(planRollout(afterRestartOfA(true, now))).toMatchObject({
        rollout: { total: 2, restarted: 0, current: A },
        write: {
          action: 'available',
          stamp: { workload: A, version: '0.2.0', restartedAt: iso(0), availableAt: now.toISOString() },
        },
        requeueAfterMs: 0,
      });
    }
  });

  const afterAvailableA = (now: Date, paused = false) =>
    observed({
      mesh: rolling({ paused }),
      now,
      pods: [...podsOf('Deployment', 'a', '0.2.0'), ...podsOf('Deployment', 'b', '0.1.0')],
      replicaSets: rs,
      deployments: [
        deployment('a', { restartedFor: '0.2.0', restartedAt: iso(0), availableAt: iso(20) }),
        deployment('b'),
      ],
    });

  it('keeps the pace after a workload became available, then restarts the next', () => {
    expect(planRollout(afterAvailableA(at(30)))).toEqual({
      rollout: { total: 2, restarted: 1 },
      verdict: {
        type: 'Progressing',
        reason: 'RolloutPace',
        message: 'restarting Deployment shop/b after the pace of 30s (1 of 2 done)',
      },
      requeueAfterMs: 20_000,
    });
    expect(planRollout(afterAvailableA(at(50)))).toMatchObject({
      rollout: { total: 2, restarted: 1, current: B },
      write: { action: 'restart', stamp: { workload: B, version: '0.2.0', restartedAt: iso(50) } },
    });
  });

  it('restarts nothing while paused, and resumes where it stopped', () => {
    expect(planRollout(afterAvailableA(at(50), true))).toEqual({ rollout: { total: 2, restarted: 1 } });
    expect(planRollout(afterAvailableA(at(50), false)).write?.stamp.workload).toEqual(B);
  });

  it('still records availability while paused (bookkeeping, not a restart)', () => {
    const state = afterRestartOfA(true, at(20));
    state.mesh = rolling({ paused: true });
    expect(planRollout(state).write?.action).toBe('available');
  });

  it('reports the finished rollout without a verdict', () => {
    expect(
      planRollout(
        observed({
          mesh: rolling(),
          pods: [...podsOf('Deployment', 'a', '0.2.0'), ...podsOf('Deployment', 'b', '0.2.0')],
          replicaSets: rs,
          deployments: [
            deployment('a', { restartedFor: '0.2.0', restartedAt: iso(0), availableAt: iso(20) }),
            deployment('b', { restartedFor: '0.2.0', restartedAt: iso(50), availableAt: iso(70) }),
          ],
        }),
      ),
    ).toEqual({ rollout: { total: 2, restarted: 2 } });
  });

  it('starts over for a newer version: a stamp for the old one does not count', () => {
    const plan = planRollout(
      observed({
        mesh: rolling(),
        installedVersion: '0.3.0',
        pods: podsOf('Deployment', 'a', '0.2.0'),
        replicaSets: rs,
        deployments: [deployment('a', { restartedFor: '0.2.0', restartedAt: iso(0), availableAt: iso(20) })],
      }),
    );
    expect(plan.write).toEqual({
      action: 'restart',
      stamp: { workload: A, version: '0.3.0', restartedAt: t0.toISOString() },
    });
  });

  it('rolls StatefulSets and DaemonSets, in namespace/name order across kinds', () => {
    const state = observed({
      mesh: rolling(),
      pods: [...podsOf('DaemonSet', 'agent', '0.1.0'), ...podsOf('StatefulSet', 'db', '0.1.0')],
      statefulSets: [statefulSet('db')],
      daemonSets: [daemonSet('agent')],
    });
    expect(planRollout(state)).toMatchObject({
      rollout: { total: 2, restarted: 0, current: { kind: 'DaemonSet', namespace: 'shop', name: 'agent' } },
      write: { action: 'restart' },
    });
  });

  it('leaves out pods no rollout can restart: bare pods, Jobs, ReplicaSets without a Deployment', () => {
    const plan = planRollout(
      observed({
        mesh: rolling(),
        pods: [
          pod('bare', { version: '0.1.0' }),
          pod('job-x', { version: '0.1.0', owner: { kind: 'Job', name: 'job', uid: 'uid-job' } }),
          pod('lone-x', { version: '0.1.0', owner: { kind: 'ReplicaSet', name: 'lone', uid: 'uid-lone' } }),
        ],
        replicaSets: [{ metadata: { name: 'lone', namespace: 'shop', uid: 'uid-lone' } }],
      }),
    );
    expect(plan).toEqual({});
  });

  it('records a new restart time when the annotation was removed or is not a time, without a new template', () => {
    for (const restartedAt of [undefined, 'yesterday']) {
      const plan = planRollout(
        observed({
          mesh: rolling(),
          now: at(5),
          pods: podsOf('Deployment', 'a', '0.1.0'),
          replicaSets: rs,
          deployments: [
            deployment('a', {
              restartedFor: '0.2.0',
              available: false,
              ...(restartedAt ? { restartedAt } : {}),
            }),
          ],
        }),
      );
      expect(plan.write).toEqual({
        action: 'restart',
        stamp: { workload: A, version: '0.2.0', restartedAt: iso(5) },
      });
    }
  });
});
