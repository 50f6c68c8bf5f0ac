import { describe, expect, it } from 'vitest';
import { parseInitArgs } from '../api/init-options.js';
import type { EffectiveSettings } from './overrides.js';
import { renderInit, renderProxy, renderVolumes } from './render.js';
import { defaultSettings } from './settings.js';

const settings = (over: Partial<EffectiveSettings> = {}): EffectiveSettings => ({
  ...defaultSettings,
  native: true,
  ...over,
});

describe('trellis-init', () => {
  it('has NET_ADMIN and NET_RAW only, as root but not privileged, on a read-only root', () => {
    const init = renderInit(settings());
    expect(init.name).toBe('trellis-init');
    expect(init.image).toBe('ghcr.io/trellis-mesh/trellis-sidecar:0.1.0');
    expect(init.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('passes the capture settings as arguments trellis-init parses back', () => {
    const init = renderInit(
      settings({
        excludeInboundPorts: [22],
        excludeOutboundCidrs: ['169.254.169.254/32'],
        includeOutboundCidrs: ['10.0.0.0/8'],
      }),
    );
    expect(init.command).toEqual(['trellis-init']);
    expect(parseInitArgs(init.args ?? [])).toEqual({
      proxyUid: 1337,
      proxyGid: 1337,
      inboundCapturePort: 15006,
      outboundCapturePort: 15001,
      excludeInboundPorts: [22],
      excludeOutboundPorts: [],
      includeOutboundCidrs: ['10.0.0.0/8'],
      excludeOutboundCidrs: ['169.254.169.254/32'],
    });
  });
});

describe('trellis-proxy', () => {
  it('runs as 1337, non-root, read-only, without privilege escalation or capabilities', () => {
    const proxy = renderProxy(settings(), { env: [] });
    expect(proxy.securityContext).toMatchObject({
      runAsUser: 1337,
      runAsGroup: 1337,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(proxy.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 15020, scheme: 'HTTP' });
    expect(proxy.resources).toEqual({
      requests: { cpu: '100m', memory: '64Mi' },
      limits: { memory: '256Mi' },
    });
    expect(proxy.volumeMounts?.map((m) => [m.mountPath, m.readOnly])).toEqual([
      ['/etc/trellis/config', true],
      ['/etc/trellis/identity', true],
      ['/etc/trellis/pod', true],
    ]);
  });

  it('gets its pod from the downward API and its settings as env, then the extras', () => {
    const proxy = renderProxy(settings({ logLevel: 'debug', opaquePorts: [5432, 6379] }), {
      env: [{ name: 'EXTRA', value: 'x' }],
    });
    const env = Object.fromEntries(
      (proxy.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]),
    );
    expect(env).toEqual({
      TRELLIS_POD_NAME: 'metadata.name',
      TRELLIS_POD_NAMESPACE: 'metadata.namespace',
      TRELLIS_POD_IP: 'status.podIP',
      TRELLIS_SERVICE_ACCOUNT: 'spec.serviceAccountName',
      TRELLIS_LOG_LEVEL: 'debug',
      TRELLIS_OPAQUE_PORTS: '5432,6379',
      TRELLIS_CONFIG_DIR: '/etc/trellis/config',
      TRELLIS_IDENTITY_DIR: '/etc/trellis/identity',
      TRELLIS_POD_INFO_DIR: '/etc/trellis/pod',
      EXTRA: 'x',
    });
  });

  it.each([
    [true, true, 'Always', 'startupProbe', undefined],
    [true, false, 'Always', undefined, undefined],
    [false, true, undefined, undefined, 'postStart'],
    [false, false, undefined, undefined, undefined],
  ])(
    'native %s, hold %s: restartPolicy %s, %s, %s',
    (native, holdApplication, restartPolicy, startup, postStart) => {
      const proxy = renderProxy(settings({ native, holdApplication, holdTimeoutSeconds: 90 }), { env: [] });
      expect(proxy.restartPolicy).toBe(restartPolicy);
      if (startup) {
        expect(proxy.startupProbe).toEqual({
          httpGet: { path: '/ready', port: 15020, scheme: 'HTTP' },
          periodSeconds: 1,
          timeoutSeconds: 1,
          failureThreshold: 90,
        });
      } else expect(proxy.startupProbe).toBeUndefined();
      if (postStart) {
        expect(proxy.lifecycle?.postStart?.exec?.command).toEqual([
          'trellis-proxy',
          'wait-ready',
          '--timeout=90s',
        ]);
      } else expect(proxy.lifecycle).toBeUndefined();
    },
  );
});

describe('volumes', () => {
  it('mount the namespace proxy config, the service account identity and the pod info', () => {
    expect(renderVolumes('checkout')).toEqual([
      { name: 'trellis-proxy-config', configMap: { name: 'trellis-proxy-config', optional: false } },
      { name: 'trellis-identity', secret: { secretName: 'trellis-identity-checkout', optional: false } },
      {
        name: 'trellis-pod-info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.annotations' } },
          ],
        },
      },
    ]);
  });
});
