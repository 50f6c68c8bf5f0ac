import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import type { Controller } from './controller.js';
import { controllers } from './controllers.js';
import { type RunningOperator, startOperator } from './operator.js';

/**
 * The operator process: settings from the environment, the in-cluster service account or KUBECONFIG
 * (client-node's default loading), and a graceful stop on SIGTERM or SIGINT: no new work, in-flight
 * reconciles finished, Lease released, exit 0. A second signal exits at once with 1.
 */
export async function runOperatorProcess(
  registered: readonly Controller[],
  env: Record<string, string | undefined> = process.env,
): Promise<RunningOperator> {
  const config = loadConfig(env);
  const logger = pino({ level: config.logLevel, base: { component: 'trellis-operator' } });
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const operator = await startOperator({ kc, controllers: registered, config, logger, processMetrics: true });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting without finishing');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return operator;
}

const entry = process.argv[1];
if (entry && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  runOperatorProcess(controllers).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
