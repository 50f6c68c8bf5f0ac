import type { AddressInfo } from 'node:net';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { digestFiles, watchFiles } from './file-watch.js';
import { createMetrics, type WebhookMetrics } from './metrics.js';
import { buildServer, type InjectorApp, type InjectorState, replaceCertificate } from './server.js';
import { defaultSettings, loadSettings } from './settings.js';
import { certPaths, loadCertificate } from './tls.js';

export interface InjectorOptions {
  /** Settings file (the operator's ConfigMap); omitted: the defaults. */
  settingsPath?: string;
  /** Directory with tls.crt and tls.key (the cert-manager Secret). */
  certDir: string;
  host: string;
  port: number;
  /** For `nativeSidecar: auto`: a kubeconfig file, or `in-cluster`. Omitted: version unknown (classic sidecars). */
  kubeconfig?: string;
  reloadIntervalMs?: number;
  logger: Logger;
  processMetrics?: boolean;
}

export interface Injector {
  app: InjectorApp;
  state: InjectorState;
  metrics: WebhookMetrics;
  /** `https://host:port` as listening (the real port when 0 was asked for). */
  url: string;
  close: () => Promise<void>;
}

async function serverVersion(kubeconfig: string): Promise<{ major: string; minor: string }> {
  const kc = new KubeConfig();
  if (kubeconfig === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromFile(kubeconfig);
  const info = await kc.makeApiClient(VersionApi).getCode();
  return { major: info.major, minor: info.minor };
}

/**
 * Loads settings and certificate (failing fast when either is bad), learns the
 * API server version, listens, and keeps settings and certificate current.
 * A bad settings or certificate update keeps the last good one and is logged
 * and counted.
 */
export async function startInjector(opts: InjectorOptions): Promise<Injector> {
  const log = opts.logger;
  const settingsPath = opts.settingsPath;
  const settingsBaseline = settingsPath ? await digestFiles([settingsPath]) : undefined;
  const settings = settingsPath ? await loadSettings(settingsPath) : defaultSettings;
  const certBaseline = await digestFiles(certPaths(opts.certDir));
  const tls = await loadCertificate(opts.certDir);
  const state: InjectorState = { settings, serverVersion: undefined, ready: false };
  if (opts.kubeconfig) {
    // Injection must not differ by which replica answered: stay unready until the version is known.
    state.serverVersion = await serverVersion(opts.kubeconfig);
    log.info({ serverVersion: state.serverVersion }, 'API server version');
  }
  const metrics = createMetrics({ processMetrics: opts.processMetrics ?? false });
  const app = await buildServer({ tls, state, metrics, logger: log });
  await app.listen({ host: opts.host, port: opts.port });
  state.ready = true;

  const interval = opts.reloadIntervalMs ?? 5_000;
  const watches = [
    watchFiles(
      certPaths(opts.certDir),
      interval,
      async () => {
        try {
          replaceCertificate(app, await loadCertificate(opts.certDir));
          metrics.certificateReloads.inc({ result: 'ok' });
          log.info('serving certificate reloaded');
        } catch (err) {
          metrics.certificateReloads.inc({ result: 'error' });
          log.error({ err }, 'serving certificate not reloaded; keeping the previous one');
        }
      },
      (err) => log.warn({ err }, 'cannot read the serving certificate'),
      certBaseline,
    ),
  ];
  if (settingsPath) {
    watches.push(
      watchFiles(
        [settingsPath],
        interval,
        async () => {
          try {
            state.settings = await loadSettings(settingsPath);
            metrics.settingsReloads.inc({ result: 'ok' });
            log.info({ settings: state.settings }, 'settings reloaded');
          } catch (err) {
            metrics.settingsReloads.inc({ result: 'error' });
            log.error({ err }, 'settings not reloaded; keeping the previous ones');
          }
        },
        (err) => log.warn({ err }, 'cannot read the settings'),
        settingsBaseline,
      ),
    );
  }

  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    state,
    metrics,
    url: `https://${opts.host}:${port}`,
    close: async () => {
      state.ready = false;
      for (const w of watches) w.stop();
      await app.close();
    },
  };
}
