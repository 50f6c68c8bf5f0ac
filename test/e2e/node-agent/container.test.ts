import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecResult, Pod, PodProcess } from '../../support/netns.js';
import { type ContainerContext, ContainerRunner, type Launch } from './container.js';

// The runner against plain host processes: the netns harness's spawn stood in for by one
// that keeps what matters here (own process group, exit code or null when signalled).
const hostPod: Pod = {
  name: 'host',
  netns: 'host',
  ip: '127.0.0.1',
  spawn: (argv) => {
    const child = spawn(argv[0] ?? 'false', argv.slice(1), { detached: true, stdio: 'ignore' });
    const exited = new Promise<ExecResult>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout: '', stderr: '' })),
    );
    const proc: PodProcess = {
      pid: child.pid,
      stdout: () => '',
      stderr: () => '',
      waitForLine: () => Promise.reject(new Error('not captured')),
      exited,
      stop: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    };
    return proc;
  },
  exec: () => Promise.reject(new Error('not used')),
};

const dir = mkdtempSync(join(tmpdir(), 'container-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const context = (prepare?: ContainerContext['prepare']): ContainerContext => ({
  netns: hostPod,
  podIP: '127.0.0.1',
  log: pino({ level: 'silent' }),
  prepare:
    prepare ??
    ((spec): Launch => ({ argv: [...(spec.command ?? []), ...(spec.args ?? [])], env: {}, prologue: '' })),
  changed: () => {},
  graceMs: 5_000,
  backoff: { baseMs: 50, maxMs: 200 },
});
const sh = (script: string, extra: Partial<V1Container> = {}): V1Container => ({
  name: 'c',
  image: 'img',
  command: ['sh', '-c', script],
  ...extra,
});

describe('ContainerRunner', () => {
  it('runs once under Never and keeps the exit code', async () => {
    const runner = new ContainerRunner(sh('exit 3'), context(), false);
    expect(await runner.keepRunning('Never')).toBe(3);
    expect(runner.record.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(runner.record.restartCount).toBe(0);
  });

  it('restarts a failure under OnFailure, counting the restart and keeping the last state', async () => {
    const marker = join(dir, 'second-time');
    const runner = new ContainerRunner(
      sh(`test -e ${marker} || { touch ${marker}; exit 1; }`),
      context(),
      false,
    );
    expect(await runner.keepRunning('OnFailure')).toBe(0);
    expect(runner.record.restartCount).toBe(1);
    expect(runner.record.lastState?.terminated).toMatchObject({ exitCode: 1 });
    expect(runner.record.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('stops with SIGTERM, and SIGKILL after the grace period when TERM is ignored', async () => {
    const polite = new ContainerRunner(sh('sleep 30'), context(), false);
    const politeRun = polite.keepRunning('Always');
    await polite.whenStarted();
    await polite.stop(5_000);
    await politeRun;
    expect(polite.record.state.terminated?.exitCode).toBe(143);

    const trapped = join(dir, 'trapped');
    const stubborn = new ContainerRunner(
      sh(`trap "" TERM; touch ${trapped}; while :; do sleep 0.1; done`),
      context(),
      false,
    );
    const stubbornRun = stubborn.keepRunning('Always');
    // Signalled only once the trap is in place.
    for (let i = 0; i < 200 && !existsSync(trapped); i++) await new Promise((r) => setTimeout(r, 25));
    await stubborn.stop(300);
    await stubbornRun;
    expect(stubborn.record.state.terminated?.exitCode).toBe(137);
  });

  it('kills and restarts a container whose liveness probe fails', async () => {
    // Nothing listens on port 1: every TCP probe fails.
    const spec = sh('sleep 30', {
      livenessProbe: { tcpSocket: { port: 1 }, periodSeconds: 1, failureThreshold: 1 },
    });
    const runner = new ContainerRunner(spec, context(), false);
    const run = runner.keepRunning('Always');
    for (let i = 0; i < 200 && runner.record.restartCount === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(runner.record.restartCount).toBeGreaterThanOrEqual(1);
    expect(runner.record.lastState?.terminated?.exitCode).toBe(143);
    await runner.stop(1_000);
    await run;
  });

  it('waits with CreateContainerConfigError while the launch cannot be prepared, then starts', async () => {
    let attempts = 0;
    const states: string[] = [];
    const ctx = context((spec) => {
      attempts += 1;
      if (attempts < 3) throw new Error('configMap "later" not found');
      return { argv: spec.command ?? [], env: {}, prologue: '' };
    });
    const runner = new ContainerRunner(
      sh('exit 0'),
      { ...ctx, changed: () => states.push(JSON.stringify(runner.record.state)) },
      false,
    );
    expect(await runner.keepRunning('OnFailure')).toBe(0);
    expect(states.some((s) => s.includes('CreateContainerConfigError') && s.includes('configMap'))).toBe(
      true,
    );
    expect(runner.record.restartCount).toBe(0);
  });
});
