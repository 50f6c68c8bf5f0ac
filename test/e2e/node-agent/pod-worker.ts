import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pod, PodNetwork } from '../../support/netns.js';
import { apiCode } from './api-errors.js';
import { writeAtomically } from './atomic-writer.js';
import { ContainerRunner, type Launch, type RestartPolicy } from './container.js';
import type { ObjectData } from './env.js';
import { pullError } from './images.js';
import { buildLaunch } from './launch.js';
import { type PodRecord, podStatus } from './status.js';
import { MissingObjectError, projectVolume, type TokenSource } from './volumes.js';

export interface PodWorkerDeps {
  network: PodNetwork;
  core: CoreV1Api;
  data: ObjectData;
  log: Logger;
  /** This pod's directory (volumes, overlay scratch); removed when the pod is. */
  podDir: string;
  /** This pod's container logs: `<container>/<restart>.log`, kept after the pod is gone. */
  logDir: string;
  /** The short name of the pod's network namespace (the harness allows 8 characters). */
  netnsName: string;
  hostIP: string;
  /** What containers see as the `kubernetes` Service. */
  apiService: { host: string; port: number };
  backoff: { baseMs: number; maxMs: number };
}

const realPath = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
};

/**
 * One pod on this node, from sandbox to removal, as the kubelet runs it:
 * images checked, network namespace and address, volumes, init containers
 * in order (native sidecars started and kept running), then containers;
 * status written back after every change.
 */
export class PodWorker {
  private pod: V1Pod;
  private readonly init: ContainerRunner[] = [];
  private readonly main: ContainerRunner[] = [];
  /** The pod's network namespace once asked for: teardown waits for it, so one being made is not leaked. */
  private sandbox: Promise<Pod> | undefined;
  private readonly record: PodRecord;
  private stopping = false;
  private terminating: Promise<void> | undefined;
  private statusQueued = false;
  private statusWrite: Promise<void> = Promise.resolve();
  private volumeSync: Promise<void> = Promise.resolve();
  private readonly tokens = new Map<string, { token: string; renewAt: number }>();

  constructor(
    pod: V1Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    this.pod = pod;
    this.record = { hostIP: deps.hostIP, initContainers: [], containers: [], initialized: false };
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? '';
  }

  /** A newer copy of the pod from the watch: labels and annotations feed downward API volumes. */
  update(pod: V1Pod): void {
    const before = JSON.stringify([this.pod.metadata?.labels, this.pod.metadata?.annotations]);
    this.pod = pod;
    if (before !== JSON.stringify([pod.metadata?.labels, pod.metadata?.annotations])) this.objectsChanged();
  }

  /** A ConfigMap or Secret of the namespace changed (or a resync): re-project the volumes. */
  objectsChanged(): void {
    if (!this.record.podIP || this.stopping) return;
    this.volumeSync = this.volumeSync
      .then(() => this.syncVolumes())
      .catch((err: unknown) => this.deps.log.warn({ err }, 'volume refresh failed'));
  }

  start(): void {
    this.run().catch((err: unknown) => this.deps.log.error({ err }, 'pod worker failed'));
  }

  /**
   * Stops the containers (SIGTERM, then SIGKILL after the grace period; main
   * containers before sidecars), removes the network namespace and the pod's
   * directory, then completes the deletion unless the object is already gone.
   */
  terminate(graceSeconds: number, objectGone: boolean): Promise<void> {
    this.terminating ??= this.teardown(graceSeconds * 1000, objectGone);
    return this.terminating;
  }

  private async teardown(graceMs: number, objectGone: boolean): Promise<void> {
    this.stopping = true;
    const { log } = this.deps;
    const deadline = Date.now() + graceMs;
    await Promise.all(
      [...this.main, ...this.init.filter((c) => !c.record.sidecar)].map((c) => c.stop(graceMs)),
    );
    const left = Math.max(deadline - Date.now(), 2_000);
    await Promise.all(this.init.filter((c) => c.record.sidecar).map((c) => c.stop(left)));
    await this.volumeSync;
    const netns = await this.sandbox?.catch(() => undefined);
    if (netns) await this.deps.network.removePod(netns);
    await rm(this.deps.podDir, { recursive: true, force: true });
    log.info('pod stopped and cleaned up');
    if (objectGone) return;
    await this.statusWrite;
    try {
      await this.deps.core.deleteNamespacedPod({
        name: this.pod.metadata?.name ?? '',
        namespace: this.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
    } catch (err) {
      if (apiCode(err) !== 404 && apiCode(err) !== 409) throw err;
    }
  }

  private async run(): Promise<void> {
    const spec = this.pod.spec;
    if (!spec) return;
    const policy = (spec.restartPolicy ?? 'Always') as RestartPolicy;
    const graceMs = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const ctx = (netns: Pod) => ({
      netns,
      podIP: netns.ip,
      log: this.deps.log,
      prepare: (container: V1Container, restart: number) => this.prepare(container, restart),
      changed: () => this.writeStatus(),
      graceMs,
      backoff: this.deps.backoff,
    });

    // The pull: every image must be in the table before anything starts.
    const pullErrors = new Map<V1Container, string>();
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      const error = pullError(c.image ?? '', c.command, c.args, existsSync);
      if (error) pullErrors.set(c, error);
    }
    const waiting = (c: V1Container) => {
      const message = pullErrors.get(c);
      const reason = message ? 'ErrImagePull' : 'PodInitializing';
      return {
        name: c.name,
        image: c.image ?? '',
        state: { waiting: { reason, ...(message ? { message } : {}) } },
        restartCount: 0,
        ready: false,
        started: false,
        ...(c.restartPolicy === 'Always' ? { sidecar: true } : {}),
      };
    };
    this.record.initContainers = (spec.initContainers ?? []).map(waiting);
    this.record.containers = spec.containers.map(waiting);
    this.record.startTime = new Date();
    if (pullErrors.size) {
      this.deps.log.warn({ errors: [...pullErrors.values()] }, 'image pull failed');
      this.writeStatus();
      return;
    }

    if (this.stopping) return;
    this.sandbox = this.deps.network.addPod(this.deps.netnsName);
    const netns = await this.sandbox;
    this.record.podIP = netns.ip;
    for (const c of spec.initContainers ?? [])
      this.init.push(new ContainerRunner(c, ctx(netns), c.restartPolicy === 'Always'));
    for (const c of spec.containers) this.main.push(new ContainerRunner(c, ctx(netns), false));
    this.record.initContainers = this.init.map((r) => r.record);
    this.record.containers = this.main.map((r) => r.record);
    for (const r of this.main) r.record.state = { waiting: { reason: 'ContainerCreating' } };
    if (this.stopping) return;
    this.writeStatus();

    await this.waitForVolumes();
    for (const runner of this.init) {
      if (this.stopping) return;
      if (runner.record.sidecar) {
        void runner.keepRunning('Always');
        await runner.whenStarted();
        continue;
      }
      // A failing init container is retried unless the pod never restarts.
      const code = await runner.keepRunning(policy === 'Never' ? 'Never' : 'OnFailure');
      if (code !== 0) {
        if (!this.stopping) {
          this.record.phaseOverride = 'Failed';
          this.writeStatus();
        }
        return;
      }
    }
    if (this.stopping) return;
    this.record.initialized = true;
    this.writeStatus();
    await Promise.all(this.main.map((runner) => runner.keepRunning(policy)));
  }

  /** Volumes before containers; a missing ConfigMap or Secret keeps the pod in ContainerCreating. */
  private async waitForVolumes(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.syncVolumes();
        return;
      } catch (err) {
        if (!(err instanceof MissingObjectError)) throw err;
        for (const r of this.main) {
          r.record.state = { waiting: { reason: 'ContainerCreating', message: `volume: ${err.message}` } };
        }
        this.writeStatus();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async syncVolumes(): Promise<void> {
    const fsGroup = this.pod.spec?.securityContext?.fsGroup;
    for (const volume of this.pod.spec?.volumes ?? []) {
      const dir = join(this.deps.podDir, 'volumes', volume.name);
      const content = await projectVolume(this.pod, volume, this.deps.data, this.tokenSource());
      if (content.kind === 'emptyDir') {
        await mkdir(dir, { recursive: true });
        // Any container user may write an emptyDir, as with the kubelet's.
        await chmod(dir, 0o777);
        continue;
      }
      const files =
        fsGroup === undefined
          ? content.files
          : content.files.map((f) => ({ ...f, mode: (f.mode ?? 0o644) | 0o040 }));
      const changed = await writeAtomically(
        dir,
        files,
        fsGroup === undefined ? undefined : { uid: 0, gid: fsGroup },
      );
      if (changed) this.deps.log.info({ volume: volume.name }, 'volume updated');
      if (fsGroup !== undefined) await chown(dir, 0, fsGroup);
    }
  }

  /** Bound tokens from the TokenRequest API, renewed at 80% of their lifetime as the kubelet does. */
  private tokenSource(): TokenSource {
    return async (audience, expirationSeconds) => {
      const key = `${audience ?? ''}|${expirationSeconds}`;
      const cached = this.tokens.get(key);
      if (cached && Date.now() < cached.renewAt) return cached.token;
      const meta = this.pod.metadata ?? {};
      const response = await this.deps.core.createNamespacedServiceAccountToken({
        name: this.pod.spec?.serviceAccountName ?? 'default',
        namespace: this.namespace,
        body: {
          spec: {
            audiences: audience ? [audience] : [],
            expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name ?? '', uid: meta.uid ?? '' },
          },
        },
      });
      const token = response.status?.token ?? '';
      this.tokens.set(key, { token, renewAt: Date.now() + expirationSeconds * 800 });
      return token;
    };
  }

  private prepare(container: V1Container, restart: number): Launch {
    const logDir = join(this.deps.logDir, container.name);
    mkdirSync(logDir, { recursive: true });
    // The overlays' upper layers: the container's alone.
    mkdirSync(join(this.deps.podDir, 'overlays'), { recursive: true, mode: 0o700 });
    return buildLaunch({
      pod: this.pod,
      container,
      restart,
      podIP: this.record.podIP ?? '',
      hostIP: this.deps.hostIP,
      apiService: this.deps.apiService,
      data: this.deps.data,
      podDir: this.deps.podDir,
      logDir,
      resolve: realPath,
      isFile: (path) => statSync(path).isFile(),
    });
  }

  /** Coalesces changes into one status write at a time, the last state winning. */
  private writeStatus(): void {
    if (this.statusQueued) return;
    this.statusQueued = true;
    this.statusWrite = this.statusWrite.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.statusQueued = false;
      const status = podStatus(this.pod, this.record, new Date());
      try {
        const updated = await this.deps.core.patchNamespacedPodStatus(
          { name: this.pod.metadata?.name ?? '', namespace: this.namespace, body: { status } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        this.pod = { ...this.pod, status: updated.status };
      } catch (err) {
        if (apiCode(err) !== 404) this.deps.log.warn({ err }, 'pod status write failed');
      }
    });
  }
}
