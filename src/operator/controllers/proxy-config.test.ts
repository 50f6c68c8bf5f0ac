import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseProxyConfig } from '../../api/proxy-config.js';
import type { MeshObject } from '../../reconcilers/observed.js';
import { RecordingWriter } from '../../reconcilers/testing/recording-writer.js';
import type { Watched } from '../controller.js';
import { proxyConfigController } from './proxy-config.js';
import {
  asStored,
  meshConfigJson,
  podJson,
  serviceJson,
  sliceJson,
  trafficRouteJson,
} from './testing/cluster-json.js';
import { fakeContext } from './testing/fake-context.js';

const signal = new AbortController().signal;
const byId = (watches: Watched[], id: string) => {
  const found = watches.find((w) => w.resource.id === id);
  if (!found) throw new Error(`no watch of ${id}`);
  return found;
};
const names = (keys: Array<{ name: string }>) => keys.map((k) => k.name).sort();

describe('proxy-config controller: events to debounced namespace keys', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function started() {
    const fake = fakeContext();
    fake.held('pods').push(podJson('shop', 'web-1', 'web'), podJson('plain', 'p-1', 'p', false));
    fake.held('proxy-configmaps').push({ metadata: { name: 'trellis-proxy-config', namespace: 'old' } });
    const { watches } = proxyConfigController().setup(fake.context);
    return { ...fake, watches };
  }

  it('a burst of changes anywhere becomes one key per meshed namespace, ConfigMap holder and own namespace', () => {
    const { watches, enqueued } = started();
    const slices = byId(watches, 'endpointslices');
    const slice = sliceJson('other', 'db', '10.0.0.9', 'db-1');
    for (let i = 0; i < 1000; i++) expect(slices.keys('update', slice)).toEqual([]);
    expect(enqueued).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(names(enqueued)).toEqual(['old', 'other', 'shop']);
  });

  it('a MeshConfig change (cluster-scoped) reaches every meshed namespace; a mesh CR its own too', () => {
    const { watches, enqueued } = started();
    byId(watches, 'meshconfigs').keys('update', meshConfigJson());
    byId(watches, 'trafficroutes').keys('add', trafficRouteJson('routes', 'r', 'web', 'x'));
    vi.advanceTimersByTime(100);
    expect(names(enqueued)).toEqual(['old', 'routes', 'shop']);
  });

  it('reads the meshed namespaces when it fires, not when the event arrives', () => {
    const { watches, enqueued, held } = started();
    byId(watches, 'services').keys('add', serviceJson('shop', 'web', '10.96.0.10'));
    held('pods').push(podJson('late', 'l-1', 'l'));
    vi.advanceTimersByTime(100);
    expect(names(enqueued)).toEqual(['late', 'old', 'shop']);
  });

  it('our own ConfigMap concerns only its namespace', () => {
    const { watches, enqueued } = started();
    byId(watches, 'proxy-configmaps').keys('delete', {
      metadata: { name: 'trellis-proxy-config', namespace: 'shop' },
    });
    vi.advanceTimersByTime(1000);
    expect(names(enqueued)).toEqual(['shop']);
  });

  it('watches every input the document is made of', () => {
    const { watches } = started();
    expect(watches.map((w) => w.resource.id).sort()).toEqual([
      'authorizationpolicies',
      'destinationpolicies',
      'endpointslices',
      'meshconfigs',
      'peerauthentications',
      'pods',
      'proxy-configmaps',
      'services',
      'trafficroutes',
    ]);
  });

  it('drops pending keys when the term ends', () => {
    const { watches, enqueued, endTerm } = started();
    byId(watches, 'services').keys('add', serviceJson('shop', 'web', '10.96.0.10'));
    endTerm();
    vi.advanceTimersByTime(2000);
    expect(enqueued).toEqual([]);
  });
});

describe('proxy-config controller: reconciling what the caches hold', () => {
  // Two routes for one service: the older one wins. Its name sorts last, so only the string
  // timestamps, read as times, can put it first.
  const older = trafficRouteJson('shop', 'zzz-older', 'web', '2026-01-01T00:00:00Z');
  const newer = trafficRouteJson('shop', 'aaa-newer', 'web', '2026-01-02T00:00:00Z');

  function cluster() {
    const fake = fakeContext();
    const writer = new RecordingWriter();
    fake.held('meshconfigs').push(meshConfigJson());
    fake.held('services').push(serviceJson('shop', 'web', '10.96.0.10'));
    fake.held('endpointslices').push(sliceJson('shop', 'web', '10.244.0.5', 'web-1'));
    fake.held('pods').push(podJson('shop', 'web-1', 'web'));
    fake.held('trafficroutes').push(newer, older);
    const { reconciler } = proxyConfigController({ writer: () => writer }).setup(fake.context);
    return { ...fake, writer, reconciler };
  }

  it('writes a valid document; the oldest route wins by creationTimestamp; conditions say so', async () => {
    const { writer, reconciler } = cluster();
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.applied).toHaveLength(1);
    const cm = writer.applied[0] as V1ConfigMap;
    const parsed = parseProxyConfig(cm.data?.['config.json'] ?? '');
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.config.services.map((s) => s.name)).toEqual(['web']);
    expect(parsed.config.services[0]?.endpoints[0]).toMatchObject({
      ip: '10.244.0.5',
      identity: 'spiffe://cluster.local/ns/shop/sa/web',
    });
    expect(parsed.config.policies?.routes.map((r) => r.source)).toEqual(['TrafficRoute shop/zzz-older']);
    const accepted = (name: string) =>
      writer.statuses.find((s) => s.metadata.name === name)?.status.conditions?.[0];
    expect(accepted('zzz-older')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(accepted('aaa-newer')).toMatchObject({ status: 'False', reason: 'Conflicted' });
  });

  it('writes nothing once the caches hold what it wrote, stored as the API server returns it', async () => {
    const { writer, reconciler, held } = cluster();
    await reconciler.reconcile({ name: 'shop' }, signal);
    // Store the writes: statuses onto the CRs, the ConfigMap into its cache, all as JSON.
    const routes = held('trafficroutes') as MeshObject[];
    for (const [i, route] of routes.entries()) {
      const patch = writer.statuses.find((s) => s.metadata.name === route.metadata.name);
      routes[i] = asStored({ ...route, status: patch?.status });
    }
    held('proxy-configmaps').push(asStored(writer.applied[0] as KubernetesObject));
    const writes = () =>
      writer.applied.length + writer.statuses.length + writer.deleted.length + writer.events.length;
    const before = writes();
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writes()).toBe(before);
    expect(typeof routes[0]?.status?.conditions?.[0]?.lastTransitionTime).toBe('string');
  });

  it('deletes its ConfigMap once the namespace has no meshed pod left', async () => {
    const { writer, reconciler, held } = cluster();
    await reconciler.reconcile({ name: 'shop' }, signal);
    held('proxy-configmaps').push(asStored(writer.applied[0] as KubernetesObject));
    held('pods').splice(0);
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.deleted).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'trellis-proxy-config' },
    ]);
  });

  it('writes nothing without a MeshConfig default', async () => {
    const { writer, reconciler, held } = cluster();
    held('meshconfigs').splice(0);
    await reconciler.reconcile({ name: 'shop' }, signal);
    expect(writer.applied).toEqual([]);
    expect(writer.statuses).toEqual([]);
  });
});
