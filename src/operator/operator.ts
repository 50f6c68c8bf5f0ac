import { CoordinationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.js';
import type { Controller } from './controller.js';
import { LeaderElector } from './leader.js';
import { OperatorMetrics } from './metrics.js';
import { ControllerRuntime } from './runtime.js';
import { type Readiness, startServer } from './server.js';

export interface RunningOperator {
  identity: string;
  port: number;
  isLeader(): boolean;
  readiness(): Readiness;
  metrics: OperatorMetrics;
  /** Stops taking work, finishes what is in flight, releases the Lease, closes the server. */
  stop(): Promise<void>;
}

/**
 * The operator: serves health and metrics at once, campaigns for the Lease, and runs the controllers
 * only while leading. A lost Lease stops them (the reconciles in flight are aborted after the shutdown
 * grace) before the elector campaigns again, so a former leader never works alongside the new one.
 */
export async function startOperator(options: {
  kc: KubeConfig;
  controllers: readonly Controller[];
  config: OperatorConfig;
  logger: Logger;
  processMetrics?: boolean;
}): Promise<RunningOperator> {
  const { kc, controllers, config } = options;
  const logger = options.logger.child({ identity: config.identity });
  const metrics = new OperatorMetrics({ processMetrics: options.processMetrics });
  const newRuntime = (into: OperatorMetrics) =>
    new ControllerRuntime({
      kc,
      controllers,
      informer: config.informer,
      queue: config.queue,
      logger,
      metrics: into,
    });
  // Built once up front so a wiring mistake (two controllers of one name…) stops the process at start,
  // not at its first term as leader. It is never started, and reports to metrics nobody serves.
  newRuntime(new OperatorMetrics());
  let runtime: ControllerRuntime | undefined;

  const elector = new LeaderElector({
    ...config.leader,
    ...config.lease,
    coordination: kc.makeApiClient(CoordinationV1Api),
    identity: config.identity,
    logger,
    onStartedLeading: () => {
      metrics.setLeader(true);
      const term = newRuntime(metrics);
      runtime = term;
      term.start().catch((err: unknown) => logger.error({ err }, 'controllers failed to start'));
    },
    onStoppedLeading: async (reason) => {
      metrics.setLeader(false);
      const term = runtime;
      runtime = undefined;
      // A lost Lease may already be another's: abort the reconciles in flight at once.
      await term?.stop(reason === 'lost' ? 0 : config.queue.shutdownGraceMs);
    },
  });

  const readiness = (): Readiness => {
    if (!elector.isLeader()) return { ready: true, detail: 'standing by' };
    const unsynced = runtime?.unsynced() ?? [];
    return unsynced.length === 0
      ? { ready: true, detail: 'leading; caches synced' }
      : { ready: false, detail: `leading; caches not synced: ${unsynced.join(', ')}` };
  };
  const server = await startServer({ ...config.server, registry: metrics.registry, readiness });
  elector.start();
  logger.info({ port: server.port, lease: config.lease }, 'operator started');

  return {
    identity: config.identity,
    port: server.port,
    isLeader: () => elector.isLeader(),
    readiness,
    metrics,
    async stop() {
      logger.info('shutting down');
      await elector.stop();
      await server.close();
      logger.info('shut down');
    },
  };
}
