import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { fakeContext } from './controllers/testing/fake-context.js';
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

  it('are the install, proxy-config and identity reconcilers; only install watches namespaces, its own two', () => {
    const setups = controllers.map((c) => c.setup(fakeContext().context));
    expect(setups.map((s) => s.reconciler.name)).toEqual(['install', 'proxy-config', 'identity']);
    const namespaces = setups.flatMap((s) =>
      s.reconciler.name === 'install' ? [] : s.watches.map((w) => w.resource.namespace),
    );
    expect(namespaces.every((n) => n === undefined)).toBe(true);
    const install = setups[0]?.watches.map((w) => w.resource.namespace) ?? [];
    expect(new Set(install)).toEqual(new Set([undefined, 'trellis-system', 'cert-manager']));
  });
});
