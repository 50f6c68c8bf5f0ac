import { describe, expect, it } from 'vitest';
import { planDataPlane, rescanMs } from './data-plane.js';
import { deployment, mesh, observed, pod, podsOf, replicaSet, statefulSet } from './testing/fixtures.js';

const state = (strategy: 'Manual' | 'RollingRestart') =>
  observed({
    mesh: mesh({ strategy }),
    pods: [
      ...podsOf('Deployment', 'a', '0.1.0'),
      ...podsOf('StatefulSet', 'db', '0.2.0'),
      pod('drifting', { annotations: { 'trellis.dev/inject': 'true' } }),
    ],
    replicaSets: [replicaSet('a-abc', 'a')],
    deployments: [deployment('a')],
    statefulSets: [statefulSet('db')],
  });

describe('planDataPlane', () => {
  it('Manual: lists outdated pods and drift, restarts nothing', () => {
    const plan = planDataPlane(state('Manual'));
    expect(plan.status).toEqual({
      outdatedPods: {
        count: 2,
        pods: [
          { namespace: 'shop', name: 'a-0', version: '0.1.0' },
          { namespace: 'shop', name: 'a-1', version: '0.1.0' },
        ],
      },
      injectionDrift: { count: 1, pods: [{ namespace: 'shop', name: 'drifting' }] },
    });
    expect(plan.write).toBeUndefined();
    expect(plan.verdict).toBeUndefined();
    expect(plan.requeueAfterMs).toBe(rescanMs);
    expect(plan.events).toHaveLength(1);
  });

  it('RollingRestart: the same status plus the rollout and its step', () => {
    const plan = planDataPlane(state('RollingRestart'));
    expect(plan.status.outdatedPods?.count).toBe(2);
    expect(plan.status.rollout).toEqual({
      total: 1,
      restarted: 0,
      current: { kind: 'Deployment', namespace: 'shop', name: 'a' },
    });
    expect(plan.write?.action).toBe('restart');
    expect(plan.verdict?.type).toBe('Progressing');
    expect(plan.requeueAfterMs).toBe(5000);
  });

  it('looks again after rescanMs at most, even while a rollout keeps its pace longer', () => {
    const paced = state('RollingRestart');
    paced.mesh = mesh({ strategy: 'RollingRestart', pace: '10m' });
    paced.deployments = [
      deployment('a'),
      deployment('z', {
        restartedFor: '0.2.0',
        restartedAt: paced.now.toISOString(),
        availableAt: paced.now.toISOString(),
      }),
    ];
    const plan = planDataPlane(paced);
    expect(plan.verdict?.reason).toBe('RolloutPace');
    expect(plan.requeueAfterMs).toBe(rescanMs);
  });

  it('is deterministic: the same objects in any order give the same bytes', () => {
    const forward = state('RollingRestart');
    const backward = {
      ...forward,
      pods: [...forward.pods].reverse(),
      deployments: [deployment('b'), ...forward.deployments],
    };
    const again = { ...forward, deployments: [...forward.deployments, deployment('b')] };
    expect(JSON.stringify(planDataPlane(backward))).toBe(JSON.stringify(planDataPlane(again)));
    expect(JSON.stringify(planDataPlane(forward))).toBe(
      JSON.stringify(planDataPlane(state('RollingRestart'))),
    );
  });

  it('reports empty counts on a clean data plane', () => {
    expect(planDataPlane(observed({ mesh: mesh({ strategy: 'RollingRestart' }) }))).toEqual({
      status: { outdatedPods: { count: 0 }, injectionDrift: { count: 0 } },
      events: [],
      requeueAfterMs: rescanMs,
    });
  });
});
