import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ObjectKey, ReconcileResult, Reconciler } from './reconciler.js';
import { type ReconcileOutcome, WorkQueue } from './workqueue.js';

const logger = pino({ level: 'silent' });

interface Call {
  key: string;
  at: number;
  signal: AbortSignal;
  finish(result?: ReconcileResult): void;
  fail(err: Error): void;
}

/** A reconciler whose calls the test completes by hand, recording overlap per key and overall. */
function manualReconciler() {
  const calls: Call[] = [];
  const running = new Map<string, number>();
  let concurrent = 0;
  let maxConcurrent = 0;
  let overlapped = false;
  const reconciler: Reconciler = {
    name: 'fake',
    reconcile(key: ObjectKey, signal: AbortSignal) {
      const text = key.namespace ? `${key.namespace}/${key.name}` : key.name;
      const same = (running.get(text) ?? 0) + 1;
      running.set(text, same);
      if (same > 1) overlapped = true;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      return new Promise<ReconcileResult | undefined>((resolve, reject) => {
        const done = () => {
          running.set(text, (running.get(text) ?? 1) - 1);
          concurrent--;
        };
        calls.push({
          key: text,
          at: Date.now(),
          signal,
          finish: (result) => {
            done();
            resolve(result);
          },
          fail: (err) => {
            done();
            reject(err);
          },
        });
      });
    },
  };
  return {
    reconciler,
    calls,
    stats: () => ({ maxConcurrent, overlapped }),
  };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('rejects a worker count that is not a positive integer', () => {
    const { reconciler } = manualReconciler();
    expect(() => new WorkQueue({ reconciler, workers: 0, backoff: { baseMs: 1, capMs: 1 }, logger })).toThrow(
      /positive integer/,
    );
  });

  it('queues a key once however often it is added before a worker takes it', async () => {
    vi.useFakeTimers();
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 2,
      backoff: { baseMs: 5, capMs: 100 },
      logger,
    });
    queue.add({ namespace: 'a', name: 'x' });
    queue.add({ namespace: 'a', name: 'x' });
    queue.add({ namespace: 'a', name: 'y' });
    queue.add({ namespace: 'a', name: 'x' });
    expect(queue.depth).toBe(2);
    queue.start();
    await flush();
    expect(fake.calls.map((c) => c.key)).toEqual(['a/x', 'a/y']);
    expect(queue.depth).toBe(0);
    for (const call of fake.calls) call.finish();
    await flush();
    expect(fake.calls).toHaveLength(2);
  });

  it('reconciles a key added during its reconcile once more afterwards, never at the same time', async () => {
    vi.useFakeTimers();
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 4,
      backoff: { baseMs: 5, capMs: 100 },
      logger,
    });
    queue.start();
    queue.add({ name: 'k' });
    await flush();
    expect(fake.calls).toHaveLength(1);
    queue.add({ name: 'k' });
    queue.add({ name: 'k' });
    queue.add({ name: 'k' });
    await flush();
    expect(fake.calls).toHaveLength(1);
    fake.calls[0]?.finish();
    await flush();
    expect(fake.calls).toHaveLength(2);
    fake.calls[1]?.finish();
    await flush();
    expect(fake.calls).toHaveLength(2);
    expect(fake.stats().overlapped).toBe(false);
  });

  it('runs at most `workers` reconciles at once and drains the rest in order', async () => {
    vi.useFakeTimers();
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 2,
      backoff: { baseMs: 5, capMs: 100 },
      logger,
    });
    queue.start();
    for (const name of ['a', 'b', 'c', 'd', 'e']) queue.add({ name });
    await flush();
    expect(fake.calls.map((c) => c.key)).toEqual(['a', 'b']);
    for (let i = 0; i < 5; i++) {
      fake.calls[i]?.finish();
      await flush();
    }
    expect(fake.calls.map((c) => c.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fake.stats().maxConcurrent).toBe(2);
  });

  it('retries a failing key after doubling delays up to the cap, and forgets them after a success', async () => {
    vi.useFakeTimers({ now: 0 });
    const fake = manualReconciler();
    const retried = vi.fn();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 1,
      backoff: { baseMs: 10, capMs: 40 },
      logger,
      observer: { reconciled: () => {}, retried },
    });
    queue.start();
    queue.add({ name: 'k' });
    const failedAt: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      await vi.advanceTimersByTimeAsync(1000);
      failedAt.push(Date.now());
      fake.calls[attempt]?.fail(new Error('boom'));
    }
    await flush();
    expect(queue.failuresOf({ name: 'k' })).toBe(5);
    // Each retry comes the backoff after the failure before it: 10, 20, 40, then the 40 ms cap.
    const delays = fake.calls.slice(1).map((c, i) => c.at - (failedAt[i] ?? 0));
    expect(delays).toEqual([10, 20, 40, 40]);
    expect(retried).toHaveBeenCalledTimes(5);

    await vi.advanceTimersByTimeAsync(1000);
    fake.calls[5]?.finish();
    await flush();
    expect(queue.failuresOf({ name: 'k' })).toBe(0);
    // The next failure starts again from the base delay.
    queue.add({ name: 'k' });
    await flush();
    const before = Date.now();
    fake.calls[6]?.fail(new Error('again'));
    await vi.advanceTimersByTimeAsync(9);
    expect(fake.calls).toHaveLength(7);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(8);
    expect((fake.calls[7]?.at ?? 0) - before).toBe(10);
  });

  it('reconciles again after requeueAfterMs without an error counted', async () => {
    vi.useFakeTimers({ now: 0 });
    const fake = manualReconciler();
    const outcomes: ReconcileOutcome[] = [];
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 1,
      backoff: { baseMs: 10, capMs: 40 },
      logger,
      observer: { reconciled: (o) => outcomes.push(o), retried: () => {} },
    });
    queue.start();
    queue.add({ name: 'k' });
    await flush();
    fake.calls[0]?.finish({ requeueAfterMs: 500 });
    await vi.advanceTimersByTimeAsync(499);
    expect(fake.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toHaveLength(2);
    fake.calls[1]?.finish();
    await flush();
    expect(outcomes).toEqual(['requeue', 'success']);
    expect(queue.failuresOf({ name: 'k' })).toBe(0);
  });

  it('keeps the earlier of two delayed adds of one key', async () => {
    vi.useFakeTimers({ now: 0 });
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 1,
      backoff: { baseMs: 10, capMs: 40 },
      logger,
    });
    queue.start();
    queue.addAfter({ name: 'k' }, 300);
    queue.addAfter({ name: 'k' }, 100);
    queue.addAfter({ name: 'k' }, 200);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.calls.map((c) => c.at)).toEqual([100]);
    fake.calls[0]?.finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls).toHaveLength(1);
  });

  it('logs each reconcile and each failure with the reconciler and the key', async () => {
    const records: Array<Record<string, unknown>> = [];
    const capture = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 1,
      backoff: { baseMs: 10_000, capMs: 10_000 },
      logger: capture,
    });
    queue.start();
    queue.add({ namespace: 'shop', name: 'orders' });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(1));
    fake.calls[0]?.fail(new Error('boom'));
    await vi.waitFor(() => expect(records).toHaveLength(1));
    expect(records[0]).toMatchObject({
      reconciler: 'fake',
      key: 'shop/orders',
      failures: 1,
      delayMs: 10_000,
      msg: 'reconcile failed; retrying after backoff',
    });
    queue.add({ name: 'cluster-wide' });
    await vi.waitFor(() => expect(fake.calls).toHaveLength(2));
    fake.calls[1]?.finish();
    await vi.waitFor(() => expect(records).toHaveLength(2));
    expect(records[1]).toMatchObject({
      reconciler: 'fake',
      key: 'cluster-wide',
      outcome: 'success',
      msg: 'reconciled',
    });
    await queue.shutdown(0);
  });

  it('shuts down without new work, waits for the reconciles in flight, and aborts them after the grace', async () => {
    vi.useFakeTimers();
    const fake = manualReconciler();
    const queue = new WorkQueue({
      reconciler: fake.reconciler,
      workers: 1,
      backoff: { baseMs: 10, capMs: 40 },
      logger,
    });
    queue.start();
    queue.add({ name: 'a' });
    queue.add({ name: 'b' });
    queue.addAfter({ name: 'c' }, 50);
    await flush();
    let finished = false;
    const stopped = queue.shutdown(1000).then(() => {
      finished = true;
    });
    queue.add({ name: 'd' });
    await vi.advanceTimersByTimeAsync(999);
    expect(finished).toBe(false);
    expect(fake.calls[0]?.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls[0]?.signal.aborted).toBe(true);
    expect(finished).toBe(false);
    fake.calls[0]?.fail(new Error('aborted'));
    await stopped;
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.calls.map((c) => c.key)).toEqual(['a']);
    expect(() => queue.start()).toThrow(/shut down/);
  });
});
