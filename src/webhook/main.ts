import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startInjector } from './injector.js';

function flags() {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    // A wrong flag is a deployment mistake: one line saying which, not a stack trace.
    process.stderr.write(`injector: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

/**
 * The `injector` command of the control-plane image. Flags win over env
 * (the operator's Deployment sets env).
 */
const options = {
  settings: { type: 'string', default: process.env.TRELLIS_INJECTOR_SETTINGS },
  'cert-dir': {
    type: 'string',
    default: process.env.TRELLIS_INJECTOR_CERT_DIR ?? '/etc/trellis/injector/tls',
  },
  host: { type: 'string', default: process.env.TRELLIS_INJECTOR_HOST ?? '0.0.0.0' },
  port: { type: 'string', default: process.env.TRELLIS_INJECTOR_PORT ?? '9443' },
  kubeconfig: { type: 'string', default: process.env.TRELLIS_INJECTOR_KUBECONFIG ?? 'in-cluster' },
  'drain-seconds': { type: 'string', default: '5' },
} as const;
const values = flags();

const logger = pino({ level: process.env.TRELLIS_LOG_LEVEL ?? 'info' });
const port = Number(values.port);
const drainMs = Number(values['drain-seconds']) * 1000;

try {
  const injector = await startInjector({
    ...(values.settings ? { settingsPath: values.settings } : {}),
    certDir: values['cert-dir'],
    host: values.host,
    port,
    // `none`: the API server version stays unknown, so `nativeSidecar: auto` renders classic sidecars.
    ...(values.kubeconfig === 'none' ? {} : { kubeconfig: values.kubeconfig }),
    logger,
    processMetrics: true,
  });
  logger.info({ url: injector.url }, 'injector listening');
  const stop = async (signal: string) => {
    // Unready first so the Service stops sending new reviews, then finish the ones in flight.
    logger.info({ signal }, 'draining');
    injector.state.ready = false;
    await new Promise((r) => setTimeout(r, drainMs));
    await injector.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
} catch (err) {
  logger.fatal({ err }, 'injector cannot start');
  process.exit(1);
}
