import { execFile } from 'node:child_process';
import type { V1Container, V1ContainerState, V1Probe } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pod, PodProcess } from '../../support/netns.js';
import { checkOnce } from './probe-check.js';
import { probeTarget, probeTiming } from './probe-spec.js';
import type { ContainerRecord } from './status.js';

/** Everything a container needs to start one process: resolved at each start, as the kubelet does. */
export interface Launch {
  argv: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  prologue: string;
}

export interface ContainerContext {
  netns: Pod;
  podIP: string;
  log: Logger;
  /** Builds the launch for this start (`restart` counts from 0); throws when a reference cannot be resolved. */
  prepare: (spec: V1Container, restart: number) => Launch;
  /** The record changed: the pod's status should be written. */
  changed: () => void;
  /** The pod's termination grace period, used for a liveness kill as for deletion. */
  graceMs: number;
  backoff: { baseMs: number; maxMs: number };
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** One run's end: an exit code, or a start that never happened (a configuration error). */
type RunResult = { exitCode: number } | { configError: string };

const signalCode: Record<string, number> = { SIGTERM: 143, SIGKILL: 137 };

/**
 * One container: its process (restarted per policy, with back-off), its
 * probes run from the host against the pod IP, and the record its status is
 * written from.
 */
export class ContainerRunner {
  readonly record: ContainerRecord;
  private process: PodProcess | undefined;
  private lastSignal: NodeJS.Signals | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private startedListeners = new Set<() => void>();

  constructor(
    readonly spec: V1Container,
    private readonly ctx: ContainerContext,
    sidecar: boolean,
  ) {
    this.record = {
      name: spec.name,
      image: spec.image ?? '',
      state: { waiting: { reason: 'PodInitializing' } },
      restartCount: 0,
      ready: false,
      started: false,
      ...(sidecar ? { sidecar } : {}),
    };
  }

  /** Resolves once the container is running and its startup probe (if any) has passed. */
  whenStarted(): Promise<void> {
    if (this.record.started && this.record.state.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.startedListeners.delete(done);
        resolve();
      };
      this.startedListeners.add(done);
    });
  }

  /** Runs until it exits and the policy says not to restart, or until stopped. Returns the last exit code. */
  async keepRunning(policy: RestartPolicy): Promise<number | undefined> {
    let backoff = this.ctx.backoff.baseMs;
    for (let run = 0; !this.stopping; run++) {
      const started = Date.now();
      const result = await this.runOnce(run);
      if (this.stopping) return 'exitCode' in result ? result.exitCode : undefined;
      if ('exitCode' in result) {
        if (policy === 'Never' || (policy === 'OnFailure' && result.exitCode === 0)) return result.exitCode;
        // A run that lasted well past the back-off cap resets it, as the kubelet's does.
        if (Date.now() - started > 2 * this.ctx.backoff.maxMs) backoff = this.ctx.backoff.baseMs;
        this.record.lastState = this.record.state;
        this.setState({
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${this.spec.name}`,
          },
        });
      } else {
        run -= 1;
      }
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.ctx.backoff.maxMs);
    }
    return undefined;
  }

  /** SIGTERM to the container's process group, SIGKILL after `graceMs`; no restart afterwards. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.kill(graceMs);
  }

  private async kill(graceMs: number): Promise<void> {
    const proc = this.process;
    if (!proc) return;
    this.signal(proc, 'SIGTERM');
    const killer = setTimeout(() => this.signal(proc, 'SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(killer);
  }

  private signal(proc: PodProcess, signal: NodeJS.Signals): void {
    if (proc.pid === undefined) return;
    this.lastSignal = signal;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private async runOnce(run: number): Promise<RunResult> {
    let launch: Launch;
    try {
      launch = this.ctx.prepare(this.spec, run);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.setState({ waiting: { reason: 'CreateContainerConfigError', message } });
      return { configError: message };
    }
    if (run > 0) this.record.restartCount += 1;
    this.lastSignal = undefined;
    const proc = this.ctx.netns.spawn(launch.argv, {
      env: launch.env,
      prologue: launch.prologue,
      ...(launch.uid === undefined ? {} : { uid: launch.uid }),
      ...(launch.gid === undefined ? {} : { gid: launch.gid }),
    });
    this.process = proc;
    const startedAt = new Date();
    this.record.started = false;
    this.record.ready = false;
    this.setState({ running: { startedAt } });
    this.ctx.log.info({ container: this.spec.name, pid: proc.pid, run }, 'container started');

    const probes = new AbortController();
    void this.runProbes(proc, launch, probes.signal);
    const result = await proc.exited;
    probes.abort();
    this.process = undefined;
    const exitCode = result.code ?? signalCode[this.lastSignal ?? 'SIGKILL'] ?? 137;
    this.record.started = false;
    this.record.ready = false;
    const terminated: V1ContainerState = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: new Date(),
      },
    };
    this.setState(terminated);
    this.ctx.log.info({ container: this.spec.name, exitCode }, 'container exited');
    return { exitCode };
  }

  private async runProbes(proc: PodProcess, launch: Launch, signal: AbortSignal): Promise<void> {
    const { startupProbe, readinessProbe, livenessProbe } = this.spec;
    if (startupProbe) {
      const passed = await this.probeLoop(startupProbe, proc, launch, signal, 'until-success');
      if (signal.aborted) return;
      if (!passed) {
        this.ctx.log.info({ container: this.spec.name }, 'startup probe failed; restarting');
        await this.kill(this.ctx.graceMs);
        return;
      }
    }
    this.record.started = true;
    if (!readinessProbe) this.record.ready = true;
    this.ctx.changed();
    for (const listener of [...this.startedListeners]) listener();
    if (readinessProbe) void this.probeLoop(readinessProbe, proc, launch, signal, 'readiness');
    if (livenessProbe && !(await this.probeLoop(livenessProbe, proc, launch, signal, 'until-failure'))) {
      if (signal.aborted) return;
      this.ctx.log.info({ container: this.spec.name }, 'liveness probe failed; restarting');
      await this.kill(this.ctx.graceMs);
    }
  }

  /**
   * Probes every period. `until-success` resolves true at the success
   * threshold or false at the failure threshold; `until-failure` resolves
   * false at the failure threshold; `readiness` sets `ready` on each
   * threshold crossing until aborted.
   */
  private async probeLoop(
    probe: V1Probe,
    proc: PodProcess,
    launch: Launch,
    signal: AbortSignal,
    mode: 'until-success' | 'until-failure' | 'readiness',
  ): Promise<boolean> {
    const timing = probeTiming(probe);
    const target = probeTarget(probe, this.spec, this.ctx.podIP);
    const exec = (command: string[], timeoutMs: number) => execInContainer(proc, launch, command, timeoutMs);
    let successes = 0;
    let failures = 0;
    await this.abortableSleep(timing.initialDelayMs, signal);
    while (!signal.aborted) {
      const ok = await checkOnce(target, timing.timeoutMs, exec);
      if (signal.aborted) break;
      successes = ok ? successes + 1 : 0;
      failures = ok ? 0 : failures + 1;
      if (mode === 'until-success' && successes >= timing.successThreshold) return true;
      if (mode !== 'readiness' && failures >= timing.failureThreshold) return false;
      if (mode === 'readiness') {
        const ready =
          successes >= timing.successThreshold
            ? true
            : failures >= timing.failureThreshold
              ? false
              : undefined;
        if (ready !== undefined && ready !== this.record.ready) {
          this.record.ready = ready;
          this.ctx.changed();
        }
      }
      await this.abortableSleep(timing.periodMs, signal);
    }
    return true;
  }

  private setState(state: V1ContainerState): void {
    this.record.state = state;
    this.ctx.changed();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

/** An exec probe enters the container's own namespaces (mounts included) and runs as its user. */
function execInContainer(
  proc: PodProcess,
  launch: Launch,
  command: string[],
  timeoutMs: number,
): Promise<number | null> {
  const drop =
    launch.uid === undefined
      ? []
      : ['setpriv', `--reuid=${launch.uid}`, `--regid=${launch.gid ?? 0}`, '--clear-groups'];
  return new Promise((resolve) => {
    execFile(
      'nsenter',
      ['--target', String(proc.pid), '--mount', '--net', '--', ...drop, ...command],
      { env: launch.env, timeout: timeoutMs },
      (err) => resolve(err ? (typeof err.code === 'number' ? err.code : null) : 0),
    );
  });
}
