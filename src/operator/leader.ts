import { ApiException, type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep, withTimeout } from './sleep.js';

export interface LeaderTiming {
  /** How long a lease is good for after its last renewal; standbys wait this long before taking over. */
  leaseDurationMs: number;
  /** The leader gives up when it has not renewed for this long; below the lease duration, so it stops first. */
  renewDeadlineMs: number;
  /** The pause between attempts, to acquire or to renew. */
  retryPeriodMs: number;
}

export type StopReason = 'lost' | 'shutdown';

export interface LeaderElectionOptions extends LeaderTiming {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  /** Leadership begins: start working. */
  onStartedLeading(): void;
  /**
   * Leadership ended: stop working; the elector waits for this before anything else. `lost`: the Lease
   * may already be another's, so stop at once. `shutdown`: the Lease is still renewed while this runs,
   * so in-flight work may finish; it is released afterwards.
   */
  onStoppedLeading(reason: StopReason): Promise<void> | void;
}

/** Checks the relations client-go also insists on, without which two leaders could overlap. */
export function validateLeaderTiming({
  leaseDurationMs,
  renewDeadlineMs,
  retryPeriodMs,
}: LeaderTiming): void {
  if (!(leaseDurationMs > renewDeadlineMs)) throw new Error('lease duration must exceed the renew deadline');
  if (!(renewDeadlineMs > retryPeriodMs)) throw new Error('renew deadline must exceed the retry period');
  if (!(retryPeriodMs > 0)) throw new Error('retry period must be positive');
}

const isStatus = (err: unknown, code: number) => err instanceof ApiException && err.code === code;

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: a candidate
 * takes the Lease when its holder has not renewed it for the lease duration, as measured on the
 * candidate's own clock from when it last saw the Lease change (so clock skew between machines does
 * not matter); every write carries the resourceVersion read, so of two racing candidates one wins.
 * The leader renews every retry period and stops leading when renewals have failed for the renew
 * deadline, which is shorter than the lease duration: it has stopped before anyone else may start.
 * On `stop` it keeps renewing while its work drains, then releases the Lease.
 */
export class LeaderElector {
  private readonly stopping = new AbortController();
  private leading = false;
  private observedVersion: string | undefined;
  private observedAt = 0;
  /** When the last successful renewal began: the renew deadline runs from here. */
  private renewedAt = 0;
  private running: Promise<void> | undefined;

  constructor(private readonly options: LeaderElectionOptions) {
    validateLeaderTiming(options);
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until `stop`: stands by, leads, and after a lost lease stands by again. */
  start(): void {
    if (this.running) throw new Error('leader election already started');
    this.running = this.run();
  }

  /** Stops leading (renewing until `onStoppedLeading` returns), then releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private get log(): Logger {
    return this.options.logger;
  }

  private async run(): Promise<void> {
    const { retryPeriodMs } = this.options;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      if (!(await this.attempt())) {
        await sleep(retryPeriodMs, signal);
        continue;
      }
      this.leading = true;
      this.renewedAt = Date.now();
      this.log.info({ identity: this.options.identity }, 'started leading');
      try {
        this.options.onStartedLeading();
      } catch (err) {
        // Keep renewing anyway: giving the Lease up would only move the same failure to another replica.
        this.log.error({ err }, 'starting to lead failed');
      }
      const held = await this.renewUntil(signal);
      this.leading = false;
      this.log.info({ identity: this.options.identity, shuttingDown: held }, 'stopped leading');
      if (!held) {
        await this.stopWork('lost');
        continue;
      }
      // Shutting down: the Lease stays renewed while the work drains, so no standby starts meanwhile.
      const drained = new AbortController();
      const renewing = this.renewUntil(drained.signal);
      await this.stopWork('shutdown');
      drained.abort();
      await renewing;
      await this.release();
    }
  }

  private async stopWork(reason: StopReason): Promise<void> {
    try {
      await this.options.onStoppedLeading(reason);
    } catch (err) {
      this.log.error({ err }, 'stopping work after leading failed');
    }
  }

  /** Renews every retry period until `until` aborts (true) or the renew deadline passes unrenewed (false). */
  private async renewUntil(until: AbortSignal): Promise<boolean> {
    const { renewDeadlineMs, retryPeriodMs } = this.options;
    while (!until.aborted) {
      await sleep(retryPeriodMs, until);
      if (until.aborted) return true;
      const attemptAt = Date.now();
      const left = this.renewedAt + renewDeadlineMs - attemptAt;
      if (left > 0 && (await this.attempt(left))) {
        this.renewedAt = attemptAt;
        continue;
      }
      if (Date.now() - this.renewedAt >= renewDeadlineMs) {
        this.log.warn(
          { sinceRenewMs: Date.now() - this.renewedAt },
          'lease not renewed within the renew deadline',
        );
        return false;
      }
    }
    return true;
  }

  /** One read and, when allowed, one write: true when this candidate holds the Lease afterwards. */
  private async attempt(timeoutMs = this.options.renewDeadlineMs): Promise<boolean> {
    try {
      return await withTimeout(this.tryAcquireOrRenew(), timeoutMs, 'acquiring or renewing the lease');
    } catch (err) {
      this.log.warn({ err }, 'lease attempt failed');
      return false;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name, identity, leaseDurationMs } = this.options;
    const now = Date.now();
    const leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      try {
        const created = await coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: new V1MicroTime(now),
              renewTime: new V1MicroTime(now),
              leaseTransitions: 0,
            },
          },
        });
        this.observe(created, now);
        return true;
      } catch (createErr) {
        if (isStatus(createErr, 409)) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    if (lease.metadata?.resourceVersion !== this.observedVersion) this.observe(lease, now);
    const holder = spec.holderIdentity;
    const heldForMs = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && this.observedAt + heldForMs > now) return false;
    const transition = holder !== identity;
    try {
      const updated = await coordination.replaceNamespacedLease({
        name,
        namespace,
        // The read's resourceVersion rides along: the write fails with 409 if anyone wrote in between.
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds,
            renewTime: new V1MicroTime(now),
            acquireTime: transition ? new V1MicroTime(now) : spec.acquireTime,
            leaseTransitions: (spec.leaseTransitions ?? 0) + (transition ? 1 : 0),
          },
        },
      });
      this.observe(updated, now);
      if (transition) this.log.info({ previous: holder ?? null }, 'acquired the lease');
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  private observe(lease: V1Lease, at: number): void {
    this.observedVersion = lease.metadata?.resourceVersion;
    this.observedAt = at;
  }

  /** Hands the Lease back (holder cleared, 1 s duration) so a standby need not wait out the lease. */
  private async release(): Promise<void> {
    const { coordination, namespace, name, identity, renewDeadlineMs } = this.options;
    try {
      const lease = await withTimeout(
        coordination.readNamespacedLease({ name, namespace }),
        renewDeadlineMs,
        'reading the lease',
      );
      if (lease.spec?.holderIdentity !== identity) return;
      const now = new V1MicroTime(Date.now());
      await withTimeout(
        coordination.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: undefined,
              leaseDurationSeconds: 1,
              renewTime: now,
              acquireTime: now,
            },
          },
        }),
        renewDeadlineMs,
        'releasing the lease',
      );
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}
