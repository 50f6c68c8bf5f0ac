import { parseArgs } from 'node:util';
import pino from 'pino';
import { startAgent } from './agent.js';

/**
 * `tsx test/e2e/node-agent/main.ts --kubeconfig .cluster/kubeconfig --node agent-1 [--node agent-2]`
 * runs the node agent until SIGINT or SIGTERM, then stops every pod's
 * processes and removes its nodes, network and state. Needs root.
 */
const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string', default: process.env.KUBECONFIG ?? '.cluster/kubeconfig' },
    node: { type: 'string', multiple: true, default: ['trellis-agent-1'] },
    'state-dir': { type: 'string' },
  },
});

const log = pino({ name: 'node-agent' });
const agent = await startAgent({
  kubeconfig: values.kubeconfig,
  nodes: values.node,
  log,
  ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'stopping');
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  });
}
