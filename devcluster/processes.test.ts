import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, processesMentioning, startDetached, stopAll, tail } from './processes.js';

const dir = mkdtempSync(join(tmpdir(), 'trellis-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('process supervision', () => {
  it('starts a detached process that logs to its file, finds it by marker, and stops it', async () => {
    const log = join(dir, 'sleeper.log');
    const marker = join(dir, 'marker-arg');
    const script = 'console.log("started"); setTimeout(() => {}, 60_000)';
    const child = startDetached('sleeper', process.execPath, ['-e', script, marker], log);
    const pid = child.pid ?? -1;
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid)).toBe(true);
    expect(processesMentioning(marker)).toEqual([pid]);
    expect(readFileSync(log, 'utf8')).toContain(`starting sleeper: ${process.execPath} -e`);
    expect(tail(log, 1)).toBe('started');

    await stopAll([pid]);
    expect(isAlive(pid)).toBe(false);
    expect(processesMentioning(marker)).toEqual([]);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const child = spawn('/bin/sh', ['-c', "trap '' TERM; exec sleep 60"], { stdio: 'ignore' });
    const pid = child.pid ?? -1;
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await stopAll([pid], 300);
    expect(isAlive(pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('says so when a log was never written', () => {
    expect(tail(join(dir, 'absent.log'))).toBe('(no log written)');
  });
});
