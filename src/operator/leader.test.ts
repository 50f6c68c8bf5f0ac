import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector, validateLeaderTiming } from './leader.js';
import { fakeApiServer, sendJson } from './testing/fake-apiserver.js';
import { fakeLeases } from './testing/fake-leases.js';

const logger = pino({ level: 'silent' });
const wait = { timeout: 10_000, interval: 20 };

describe('validateLeaderTiming', () => {
  it.each([
    [15_000, 10_000, 2000, undefined],
    [4000, 3000, 500, undefined],
    [10_000, 10_000, 2000, 'lease duration must exceed the renew deadline'],
    [10_000, 12_000, 2000, 'lease duration must exceed the renew deadline'],
    [15_000, 2000, 2000, 'renew deadline must exceed the retry period'],
    [15_000, 10_000, 0, 'retry period must be positive'],
  ])(
    'lease %i, renew deadline %i, retry %i: %s',
    (leaseDurationMs, renewDeadlineMs, retryPeriodMs, error) => {
      const check = () => validateLeaderTiming({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
      if (error) expect(check).toThrow(error);
      else expect(check).not.toThrow();
    },
  );
});

describe('LeaderElector', () => {
  const timing = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const leases = fakeLeases();
    const api = await fakeApiServer((_seen, res, req) => {
      if (!leases.handle(req, res)) sendJson(res, 404, {});
    });
    cleanups.push(() => api.close());
    const coordination = api.kc.makeApiClient(CoordinationV1Api);
    const candidate = (identity: string, drainMs = 0) => {
      const events: string[] = [];
      const elector = new LeaderElector({
        ...timing,
        coordination,
        namespace: 'trellis-system',
        name: 'trellis-operator',
        identity,
        logger,
        onStartedLeading: () => events.push('started'),
        onStoppedLeading: async (reason) => {
          events.push(`stopped: ${reason}`);
          await new Promise((r) => setTimeout(r, drainMs));
        },
      });
      cleanups.push(() => elector.stop());
      return { elector, events };
    };
    return { leases, coordination, candidate };
  }

  it('lets one of two racing candidates lead, and the other once the leader stops and releases', async () => {
    const { leases, candidate } = await setup();
    const a = candidate('a');
    const b = candidate('b');
    a.elector.start();
    b.elector.start();
    await vi.waitFor(() => expect(a.elector.isLeader() || b.elector.isLeader()).toBe(true), wait);
    const [leader, standby] = a.elector.isLeader() ? [a, b] : [b, a];
    // Over several renewals, never both.
    for (let i = 0; i < 20; i++) {
      expect(a.elector.isLeader() && b.elector.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(standby.events).toEqual([]);
    await leader.elector.stop();
    expect(leader.events).toEqual(['started', 'stopped: shutdown']);
    await vi.waitFor(() => expect(standby.elector.isLeader()).toBe(true), wait);
    expect(leases.lease('trellis-system', 'trellis-operator')?.spec?.leaseTransitions).toBe(1);
  });

  it('keeps the Lease renewed while the work drains at shutdown, longer than the lease lasts', async () => {
    const { candidate } = await setup();
    const a = candidate('a', 2000);
    a.elector.start();
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), wait);
    const b = candidate('b');
    b.elector.start();
    let drained = false;
    const stopped = a.elector.stop().then(() => {
      drained = true;
    });
    while (!drained) {
      expect(b.elector.isLeader()).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopped;
    await vi.waitFor(() => expect(b.elector.isLeader()).toBe(true), wait);
  });

  it('takes over from a silent holder only after watching the lease unchanged for its duration', async () => {
    const { leases, coordination, candidate } = await setup();
    await coordination.createNamespacedLease({
      namespace: 'trellis-system',
      body: {
        metadata: { name: 'trellis-operator' },
        spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.now()) },
      },
    });
    const b = candidate('b');
    const startedAt = Date.now();
    b.elector.start();
    await vi.waitFor(() => expect(b.elector.isLeader()).toBe(true), wait);
    // A lower bound only: it may take longer on a slow machine, never less.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(leases.holder('trellis-system', 'trellis-operator')).toBe('b');
  });

  it('stops leading when renewals fail for the renew deadline, and leads again once they succeed', async () => {
    const { leases, candidate } = await setup();
    const a = candidate('a');
    a.elector.start();
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), wait);
    leases.state.down = true;
    await vi.waitFor(() => expect(a.events).toEqual(['started', 'stopped: lost']), wait);
    expect(a.elector.isLeader()).toBe(false);
    leases.state.down = false;
    await vi.waitFor(() => expect(a.events).toEqual(['started', 'stopped: lost', 'started']), wait);
  });

  it('keeps its term and still releases when the callbacks throw', async () => {
    const { leases, coordination } = await setup();
    const elector = new LeaderElector({
      ...timing,
      coordination,
      namespace: 'trellis-system',
      name: 'trellis-operator',
      identity: 'clumsy',
      logger,
      onStartedLeading: () => {
        throw new Error('start broke');
      },
      onStoppedLeading: () => Promise.reject(new Error('stop broke')),
    });
    elector.start();
    await vi.waitFor(() => expect(elector.isLeader()).toBe(true), wait);
    const writes = leases.state.writes;
    await vi.waitFor(() => expect(leases.state.writes).toBeGreaterThan(writes), wait);
    await elector.stop();
    expect(leases.holder('trellis-system', 'trellis-operator')).toBeUndefined();
  });

  it('renews while leading and releases on stop', async () => {
    const { leases, candidate } = await setup();
    const a = candidate('a');
    a.elector.start();
    await vi.waitFor(() => expect(a.elector.isLeader()).toBe(true), wait);
    const writes = leases.state.writes;
    await vi.waitFor(() => expect(leases.state.writes).toBeGreaterThan(writes + 2), wait);
    await a.elector.stop();
    const lease = leases.lease('trellis-system', 'trellis-operator');
    expect(lease?.spec?.holderIdentity).toBeUndefined();
    expect(lease?.spec?.leaseDurationSeconds).toBe(1);
    expect(() => a.elector.start()).toThrow(/already started/);
  });
});
