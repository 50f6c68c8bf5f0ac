import type { CoreV1Event } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { RecordingWriter } from '../testing/recording-writer.js';
import { applyDataPlane, RecordedEvents } from './apply.js';
import type { DataPlanePlan } from './data-plane.js';
import { driftEvent } from './drift.js';
import { pod, t0 } from './testing/fixtures.js';
import { stampObject } from './workloads.js';

const event = (name: string) => driftEvent(pod(name), 'pod-annotation', t0);
const plan = (events: CoreV1Event[], write?: DataPlanePlan['write']): DataPlanePlan => ({
  status: {},
  events,
  requeueAfterMs: 60_000,
  ...(write ? { write } : {}),
});

describe('applyDataPlane', () => {
  it('applies the stamp of its one workload write', async () => {
    const writer = new RecordingWriter();
    const stamp = {
      workload: { kind: 'Deployment', namespace: 'shop', name: 'a' },
      version: '0.2.0',
      restartedAt: t0.toISOString(),
    } as const;
    await applyDataPlane(writer, plan([], { action: 'restart', stamp }), new RecordedEvents());
    expect(writer.applied).toEqual([stampObject(stamp)]);
    expect(writer.events).toEqual([]);
  });

  it('records each drift event once, and again only after the pod stopped drifting and came back', async () => {
    const writer = new RecordingWriter();
    const recorded = new RecordedEvents();
    await applyDataPlane(writer, plan([event('a'), event('b')]), recorded);
    await applyDataPlane(writer, plan([event('a'), event('b'), event('c')]), recorded);
    expect(writer.events.map((e) => e.metadata.name)).toEqual([
      'trellis-injection-drift.uid-a',
      'trellis-injection-drift.uid-b',
      'trellis-injection-drift.uid-c',
    ]);
    await applyDataPlane(writer, plan([event('c')]), recorded);
    await applyDataPlane(writer, plan([event('a'), event('c')]), recorded);
    expect(writer.events).toHaveLength(4);
    expect(recorded.has('trellis-injection-drift.uid-b')).toBe(false);
  });

  it('remembers the events recorded before a write failed, and retries the rest', async () => {
    const writer = new RecordingWriter();
    let calls = 0;
    writer.recordEvent = async (e) => {
      calls++;
      if (calls === 2) throw new Error('API server unavailable');
      writer.events.push(e);
    };
    const recorded = new RecordedEvents();
    await expect(applyDataPlane(writer, plan([event('a'), event('b')]), recorded)).rejects.toThrow(
      'API server unavailable',
    );
    expect(recorded.has('trellis-injection-drift.uid-a')).toBe(true);
    await applyDataPlane(writer, plan([event('a'), event('b')]), recorded);
    expect(writer.events.map((e) => e.metadata.name)).toEqual([
      'trellis-injection-drift.uid-a',
      'trellis-injection-drift.uid-b',
    ]);
  });
});
