import { describe, expect, it, vi } from 'vitest';
import { sleep, withTimeout } from './sleep.js';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    vi.useFakeTimers();
    let done = false;
    const slept = sleep(100).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
    vi.useRealTimers();
  });

  it('resolves at once when aborted, before or during the wait', async () => {
    const before = new AbortController();
    before.abort();
    await sleep(60_000, before.signal);
    const during = new AbortController();
    const slept = sleep(60_000, during.signal);
    during.abort();
    await slept;
  });
});

describe('withTimeout', () => {
  it('passes the value through in time and fails naming the work when late', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => {}), 10, 'renewing the lease')).rejects.toThrow(
      'renewing the lease timed out after 10 ms',
    );
  });
});
