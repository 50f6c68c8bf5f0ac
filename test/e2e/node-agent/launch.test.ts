import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildLaunch, type LaunchInput } from './launch.js';

const pod: V1Pod = { metadata: { name: 'web-1', namespace: 'shop' }, spec: { containers: [] } };
const existing = new Set(['/pod/volumes/cfg', '/pod/volumes/cfg/app.yaml', '/etc']);
const input = (container: Partial<V1Container>, podSpec: Partial<V1Pod['spec']> = {}): LaunchInput => ({
  pod: { ...pod, spec: { containers: [], ...podSpec } },
  container: { name: 'app', image: 'trellis-e2e/http-app', ...container },
  restart: 2,
  podIP: '198.18.0.9',
  hostIP: '198.18.0.1',
  apiService: { host: '198.18.0.1', port: 443 },
  data: { configMap: () => undefined, secret: () => undefined },
  podDir: '/pod',
  logDir: '/logs/app',
  resolve: (path) => (existing.has(path) ? path : undefined),
  isFile: (path) => path.endsWith('.yaml'),
});

describe('buildLaunch', () => {
  it('gives the kubernetes Service variables, the pod IP through the downward API, and the image argv', () => {
    const launch = buildLaunch(
      input({ env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }),
    );
    expect(launch.env).toMatchObject({
      KUBERNETES_SERVICE_HOST: '198.18.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '198.18.0.1',
      HOSTNAME: 'web-1',
      IP: '198.18.0.9',
    });
    expect(launch.argv.at(-1)).toMatch(/test\/e2e\/apps\/http-app\.ts$/);
  });

  it("gives the namespace's service links unless the pod turns them off; the container's env overrides them", () => {
    const services = () => [
      { metadata: { name: 'orders' }, spec: { clusterIP: '198.19.0.9', ports: [{ port: 80 }] } },
    ];
    const withLinks = (podSpec: Partial<V1Pod['spec']>, env: V1Container['env'] = []) => {
      const base = input({ env }, podSpec);
      return buildLaunch({ ...base, data: { ...base.data, services } }).env;
    };
    expect(withLinks({})).toMatchObject({ ORDERS_SERVICE_HOST: '198.19.0.9', ORDERS_SERVICE_PORT: '80' });
    expect(withLinks({ enableServiceLinks: false })).not.toHaveProperty('ORDERS_SERVICE_HOST');
    expect(withLinks({}, [{ name: 'ORDERS_SERVICE_PORT', value: '8080' }])).toMatchObject({
      ORDERS_SERVICE_PORT: '8080',
    });
  });

  it("takes the user from the container, then the pod, then the image's USER, else root", () => {
    const sidecar = { image: 'trellis/sidecar' };
    expect(
      buildLaunch(input({ ...sidecar, securityContext: { runAsUser: 5, runAsGroup: 6 } })),
    ).toMatchObject({ uid: 5, gid: 6 });
    expect(buildLaunch(input(sidecar, { securityContext: { runAsUser: 7 } }))).toMatchObject({
      uid: 7,
      gid: 1337,
    });
    expect(buildLaunch(input(sidecar))).toMatchObject({ uid: 1337, gid: 1337 });
    const root = buildLaunch(input({}));
    expect(root.uid).toBeUndefined();
    expect(root.env.HOME).toBe('/root');
  });

  it("mounts volumes and subPath files at their paths, logging to the run's file", () => {
    const launch = buildLaunch(
      input({
        volumeMounts: [
          { name: 'cfg', mountPath: '/etc/app', readOnly: true },
          { name: 'cfg', mountPath: '/etc/app.yaml', subPath: 'app.yaml' },
        ],
        workingDir: '/srv',
      }),
    );
    expect(launch.prologue).toContain("exec >>'/logs/app/2.log' 2>&1");
    expect(launch.prologue).toContain("mount --bind '/pod/volumes/cfg' '/etc/app'");
    expect(launch.prologue).toContain("mount -o remount,bind,ro '/etc/app'");
    expect(launch.prologue).toContain("touch '/etc/app.yaml'");
    expect(launch.prologue).toContain('upperdir=/pod/overlays/app-2/0/upper');
    expect(launch.prologue.split('\n').at(-1)).toBe("cd '/srv'");
  });

  it('throws for a volume that was not materialised or a reference that cannot be resolved', () => {
    expect(() => buildLaunch(input({ volumeMounts: [{ name: 'missing', mountPath: '/etc/x' }] }))).toThrow(
      /volumeMount missing: the volume does not exist/,
    );
    expect(() =>
      buildLaunch(
        input({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'none', key: 'k' } } }] }),
      ),
    ).toThrow('configMap "none" not found');
  });
});
