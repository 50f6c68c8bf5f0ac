import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { pino } from 'pino';
import type { ControllerContext } from '../../controller.js';
import type { Cache } from '../../informer.js';
import { matchesLabels } from '../../labels.js';
import type { ObjectKey } from '../../reconciler.js';
import type { Resource } from '../../resource.js';

/**
 * A ControllerContext over plain arrays, one per resource id, for unit tests of mappings and readers:
 * `objects` is what each cache holds (put JSON as the API server sends it), `enqueued` what was queued.
 */
export function fakeContext() {
  const objects = new Map<string, KubernetesObject[]>();
  const enqueued: ObjectKey[] = [];
  const warnings: string[] = [];
  const abort = new AbortController();
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const held = (id: string) => {
    let list = objects.get(id);
    if (!list) {
      list = [];
      objects.set(id, list);
    }
    return list;
  };
  const context: ControllerContext = {
    kc,
    logger,
    // Tests put the kind the resource holds, as the runtime's informers would.
    cache: <T extends KubernetesObject>(resource: Resource): Cache<T> => {
      const list = held(resource.id) as T[];
      return {
        get: (name, namespace) =>
          list.find((o) => o.metadata?.name === name && o.metadata?.namespace === namespace),
        list: ({ namespace, labels } = {}) =>
          list.filter(
            (o) =>
              (namespace === undefined || o.metadata?.namespace === namespace) &&
              (!labels || matchesLabels(o, labels)),
          ),
      };
    },
    enqueue: (key) => {
      enqueued.push(key);
    },
    signal: abort.signal,
  };
  return { context, held, enqueued, warnings, endTerm: () => abort.abort() };
}
