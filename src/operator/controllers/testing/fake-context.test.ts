import { describe, expect, it } from 'vitest';
import { fakeContext } from './fake-context.js';

const resource = (id: string) => ({ id, apiVersion: 'v1', plural: 'configmaps' });

describe('fakeContext', () => {
  it('serves each resource id from its own array, filtered like the informer cache', () => {
    const fake = fakeContext();
    const cache = fake.context.cache(resource('cms'));
    fake
      .held('cms')
      .push(
        { metadata: { name: 'a', namespace: 'x', labels: { k: 'v' } } },
        { metadata: { name: 'a', namespace: 'y' } },
      );
    fake.held('other').push({ metadata: { name: 'z' } });
    expect(cache.get('a', 'y')?.metadata?.namespace).toBe('y');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.list().map((o) => o.metadata?.namespace)).toEqual(['x', 'y']);
    expect(cache.list({ namespace: 'y' })).toHaveLength(1);
    expect(cache.list({ labels: { k: 'v' } }).map((o) => o.metadata?.namespace)).toEqual(['x']);
  });

  it('records keys, aborts the signal when the term ends, and captures warnings', () => {
    const fake = fakeContext();
    fake.context.enqueue({ name: 'ns' });
    expect(fake.enqueued).toEqual([{ name: 'ns' }]);
    expect(fake.context.signal.aborted).toBe(false);
    fake.endTerm();
    expect(fake.context.signal.aborted).toBe(true);
    fake.context.logger.warn('careful');
    fake.context.logger.info('quiet');
    expect(fake.warnings.join('')).toContain('careful');
    expect(fake.warnings.join('')).not.toContain('quiet');
  });
});
