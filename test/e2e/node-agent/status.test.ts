import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type ContainerRecord, type PodRecord, podStatus } from './status.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:01:00Z');
const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
const running = (name: string, ready: boolean, extra: Partial<ContainerRecord> = {}): ContainerRecord => ({
  name,
  image: 'img',
  state: { running: { startedAt: t0 } },
  restartCount: 0,
  ready,
  started: true,
  ...extra,
});
const record = (extra: Partial<PodRecord>): PodRecord => ({
  hostIP: '198.18.0.1',
  podIP: '198.18.0.7',
  initContainers: [],
  containers: [],
  initialized: true,
  ...extra,
});
const conditions = (status: ReturnType<typeof podStatus>) =>
  Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.status]));

describe('podStatus', () => {
  it('is Running and Ready when every container runs ready', () => {
    const status = podStatus(pod, record({ containers: [running('a', true), running('b', true)] }), t0);
    expect(status.phase).toBe('Running');
    expect(status).toMatchObject({
      podIP: '198.18.0.7',
      podIPs: [{ ip: '198.18.0.7' }],
      hostIP: '198.18.0.1',
    });
    expect(conditions(status)).toEqual({
      PodReadyToStartContainers: 'True',
      Initialized: 'True',
      Ready: 'True',
      ContainersReady: 'True',
      PodScheduled: 'True',
    });
    expect(status.containerStatuses?.[0]).toMatchObject({
      name: 'a',
      ready: true,
      started: true,
      restartCount: 0,
    });
  });

  it('is not Ready while one container is not, nor while a native sidecar is not', () => {
    const notReady = podStatus(pod, record({ containers: [running('a', true), running('b', false)] }), t0);
    expect(conditions(notReady)).toMatchObject({ Ready: 'False', ContainersReady: 'False' });
    expect(notReady.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('ContainersNotReady');
    const sidecar = running('proxy', false, { sidecar: true });
    const withSidecar = podStatus(
      pod,
      record({ initContainers: [sidecar], containers: [running('a', true)] }),
      t0,
    );
    expect(conditions(withSidecar).Ready).toBe('False');
  });

  it('is Pending while initializing or before the first start', () => {
    const waiting: ContainerRecord = {
      ...running('a', false),
      state: { waiting: { reason: 'ErrImagePull' } },
    };
    expect(podStatus(pod, record({ containers: [waiting] }), t0).phase).toBe('Pending');
    const init = podStatus(pod, record({ initialized: false, containers: [running('a', false)] }), t0);
    expect(init.phase).toBe('Pending');
    expect(conditions(init)).toMatchObject({ Initialized: 'False', Ready: 'False' });
  });

  it('is Succeeded or Failed once every container has terminated, per restart policy', () => {
    const done = (exitCode: number): ContainerRecord => ({
      ...running('a', false),
      state: { terminated: { exitCode } },
    });
    const never: V1Pod = { ...pod, spec: { containers: [], restartPolicy: 'Never' } };
    expect(podStatus(never, record({ containers: [done(0)] }), t0).phase).toBe('Succeeded');
    expect(podStatus(never, record({ containers: [done(1)] }), t0).phase).toBe('Failed');
    expect(podStatus(pod, record({ containers: [done(1)] }), t0).phase).toBe('Running');
    expect(podStatus(pod, record({ phaseOverride: 'Failed', containers: [done(1)] }), t0).phase).toBe(
      'Failed',
    );
  });

  it('keeps a condition’s transition time while its status holds', () => {
    const first = podStatus(pod, record({ containers: [running('a', true)] }), t0);
    const again = podStatus({ ...pod, status: first }, record({ containers: [running('a', true)] }), t1);
    expect(again.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toEqual(t0);
    const flipped = podStatus({ ...pod, status: first }, record({ containers: [running('a', false)] }), t1);
    expect(flipped.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toEqual(t1);
  });
});
