import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StartError, startComponent } from './cluster.js';
import type { Component } from './components.js';
import type { RecordedProcess } from './processes.js';
import { isAlive, stopAll } from './processes.js';

const logDir = mkdtempSync(join(tmpdir(), 'trellis-start-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

const component = (over: Partial<Component>): Component => ({
  name: 'broken',
  binary: 'sh',
  args: [],
  ready: async () => false,
  startTimeoutMs: 5_000,
  ...over,
});

async function startError(c: Component): Promise<{ error: unknown; started: RecordedProcess[] }> {
  const started: RecordedProcess[] = [];
  const error = await startComponent(c, { binDir: '/bin', logDir, started: (p) => started.push(p) }).then(
    () => undefined,
    (err: unknown) => err,
  );
  await stopAll(started.map((p) => p.pid));
  return { error, started };
}

describe('startComponent', () => {
  it('names a component that exits, with its exit code, its log and the log lines', async () => {
    const { error } = await startError(component({ args: ['-c', 'echo port already in use >&2; exit 3'] }));
    expect(error).toBeInstanceOf(StartError);
    const message = (error as Error).message;
    expect(message).toContain(`broken exited with code 3. Its log is ${join(logDir, 'broken.log')}`);
    expect(message).toContain('port already in use');
  });

  it('names a component that runs but never becomes ready, and leaves it for the caller to stop', async () => {
    const { error, started } = await startError(
      component({ name: 'stuck', args: ['-c', 'exec sleep 30'], startTimeoutMs: 500 }),
    );
    expect((error as Error).message).toMatch(/^stuck was not ready after 0.5s\. Its log is /);
    expect(started).toHaveLength(1);
    expect(isAlive(started[0]?.pid ?? -1)).toBe(false);
  });

  it('names a binary that is not there', async () => {
    const { error } = await startError(component({ name: 'ghost', binary: 'no-such-binary' }));
    expect((error as Error).message).toMatch(/^ghost (could not be run|exited with code)/);
  });

  it('resolves once the component is ready', async () => {
    let checks = 0;
    const started: RecordedProcess[] = [];
    await startComponent(
      component({ name: 'fine', args: ['-c', 'exec sleep 30'], ready: async () => ++checks >= 2 }),
      { binDir: '/bin', logDir, started: (p) => started.push(p) },
    );
    expect(checks).toBe(2);
    expect(isAlive(started[0]?.pid ?? -1)).toBe(true);
    await stopAll(started.map((p) => p.pid));
  });
});
