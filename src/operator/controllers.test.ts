import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { controllers } from './controllers.js';
import { OperatorMetrics } from './metrics.js';
import { ControllerRuntime } from './runtime.js';

describe('registered controllers', () => {
  it('set up together: distinct names, one collection per resource id', () => {
    // Guards each line added to the list; building a runtime contacts no API server.
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const config = loadConfig({});
    const build = () =>
      new ControllerRuntime({
        kc,
        controllers,
        informer: config.informer,
        queue: config.queue,
        logger: pino({ level: 'silent' }),
        metrics: new OperatorMetrics(),
      });
    expect(build).not.toThrow();
  });
});
