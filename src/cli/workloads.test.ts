import { describe, expect, it } from 'vitest';
import { getIn, describe as name, podTemplatePath } from './workloads.js';

describe('workload kinds', () => {
  it.each([
    ['v1', 'Pod', []],
    ['apps/v1', 'Deployment', ['spec', 'template']],
    ['apps/v1', 'StatefulSet', ['spec', 'template']],
    ['apps/v1', 'DaemonSet', ['spec', 'template']],
    ['apps/v1', 'ReplicaSet', ['spec', 'template']],
    ['batch/v1', 'Job', ['spec', 'template']],
    ['batch/v1', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template']],
    ['v1', 'Service', undefined],
    ['extensions/v1beta1', 'Deployment', undefined],
  ])('%s %s keeps its pod at %j', (apiVersion, kind, path) => {
    expect(podTemplatePath({ apiVersion, kind })).toEqual(path);
  });

  it('reads nested values and names objects as kubectl does', () => {
    expect(getIn({ a: { b: [1, 2] } }, ['a', 'b', 1])).toBe(2);
    expect(getIn({ a: 1 }, ['a', 'b'])).toBeUndefined();
    expect(name({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } })).toBe(
      'deployment.apps/web',
    );
    expect(name({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toBe('pod/p');
  });
});
