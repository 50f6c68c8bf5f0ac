import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ObjectData } from './env.js';
import { MissingObjectError, projectVolume, type VolumeContent } from './volumes.js';

const pod: V1Pod = {
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', resources: { limits: { cpu: '2' } } }] },
};
const data: ObjectData = {
  configMap: (_, name) => (name === 'cfg' ? { a: '1', b: '2' } : undefined),
  secret: (_, name) => (name === 'tls' ? { 'tls.crt': 'CERT', 'tls.key': 'KEY' } : undefined),
};
const tokens: [string | undefined, number][] = [];
const token = async (audience: string | undefined, seconds: number) => {
  tokens.push([audience, seconds]);
  return 'a.b.c';
};
const project = (volume: Omit<V1Volume, 'name'>) => projectVolume(pod, { name: 'v', ...volume }, data, token);
const text = (content: VolumeContent) =>
  content.kind === 'files'
    ? Object.fromEntries(content.files.map((f) => [f.path, [f.content.toString(), f.mode]]))
    : content.kind;

describe('projectVolume', () => {
  it('projects every key of a ConfigMap, or only the items asked for, with modes', async () => {
    expect(text(await project({ configMap: { name: 'cfg' } }))).toEqual({
      a: ['1', undefined],
      b: ['2', undefined],
    });
    const items = await project({
      configMap: {
        name: 'cfg',
        defaultMode: 0o600,
        items: [
          { key: 'b', path: 'sub/b.txt', mode: 0o400 },
          { key: 'a', path: 'a' },
        ],
      },
    });
    expect(text(items)).toEqual({ 'sub/b.txt': ['2', 0o400], a: ['1', 0o600] });
  });

  it('projects a Secret, decoded', async () => {
    expect(text(await project({ secret: { secretName: 'tls' } }))).toEqual({
      'tls.crt': ['CERT', undefined],
      'tls.key': ['KEY', undefined],
    });
  });

  it('waits for a missing required object, and skips a missing optional one', async () => {
    await expect(project({ configMap: { name: 'gone' } })).rejects.toBeInstanceOf(MissingObjectError);
    await expect(project({ secret: { secretName: 'gone' } })).rejects.toThrow('secret "gone" not found');
    await expect(project({ configMap: { name: 'cfg', items: [{ key: 'z', path: 'z' }] } })).rejects.toThrow(
      'configMap "cfg" has no key "z"',
    );
    expect(text(await project({ configMap: { name: 'gone', optional: true } }))).toEqual({});
  });

  it('projects downward API fields and resources', async () => {
    const content = await project({
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } },
        ],
      },
    });
    expect(text(content)).toEqual({ labels: ['app="web"', undefined], cpu: ['2', undefined] });
  });

  it("projects the ServiceAccount admission's volume: a bound token, the root CA, the namespace", async () => {
    tokens.length = 0;
    const content = await project({
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'cfg', items: [{ key: 'a', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    expect(text(content)).toEqual({
      token: ['a.b.c', 0o644],
      'ca.crt': ['1', 0o644],
      namespace: ['shop', 0o644],
    });
    expect(tokens).toEqual([[undefined, 3607]]);
  });

  it('makes an emptyDir a plain directory and refuses what it cannot project', async () => {
    expect(await project({ emptyDir: {} })).toEqual({ kind: 'emptyDir' });
    await expect(project({ hostPath: { path: '/' } })).rejects.toThrow(/unsupported source/);
  });
});
