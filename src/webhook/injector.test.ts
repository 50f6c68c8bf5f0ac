import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Injector, startInjector } from './injector.js';
import { eventually } from './testing/eventually.js';
import { recordedReview } from './testing/fixtures.js';

const fixture = (f: string) => new URL(`../../test/fixtures/webhook/${f}`, import.meta.url).pathname;
const useCert = (dir: string, which: 'a' | 'b') => {
  copyFileSync(fixture(`tls-${which}.crt`), join(dir, 'tls.crt'));
  copyFileSync(fixture(`tls-${which}.key`), join(dir, 'tls.key'));
};

let injector: Injector | undefined;
let dir: string | undefined;
afterEach(async () => {
  await injector?.close();
  injector = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(settings: object) {
  dir = mkdtempSync(join(tmpdir(), 'injector-'));
  useCert(dir, 'a');
  const settingsPath = join(dir, 'settings.json');
  writeFileSync(settingsPath, JSON.stringify(settings));
  injector = await startInjector({
    settingsPath,
    certDir: dir,
    host: '127.0.0.1',
    port: 0,
    reloadIntervalMs: 50,
    logger: pino({ level: 'silent' }),
  });
  return { dir, settingsPath, injector };
}

const peerCn = (url: URL, ca: string) =>
  new Promise<string>((resolve, reject) => {
    const s = connect({ host: url.hostname, port: Number(url.port), ca: [ca] }, () => {
      resolve(String(s.getPeerCertificate().subject.CN));
      s.end();
    });
    s.on('error', reject);
  });

function inject(url: string): Promise<{ patch: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/inject`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve((JSON.parse(body) as { response: { patch: string } }).response));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(recordedReview('pod-create')));
  });
}
const patchText = (r: { patch: string }) => Buffer.from(r.patch, 'base64').toString();

describe('the injector process', () => {
  it('serves with the settings file, and without a kubeconfig treats auto as classic sidecars', async () => {
    const { injector } = await start({ version: '2.0.0' });
    expect(injector.state.ready).toBe(true);
    const patch = patchText(await inject(injector.url));
    expect(patch).toContain('trellis-sidecar:2.0.0');
    expect(patch).not.toContain('"restartPolicy":"Always"');
  });

  it('picks up new settings, and keeps the last good ones when the file turns bad', async () => {
    const { injector, settingsPath } = await start({ version: '2.0.0' });
    writeFileSync(settingsPath, JSON.stringify({ version: '2.1.0', nativeSidecar: 'on' }));
    await eventually('settings 2.1.0', async () =>
      injector.state.settings.version === '2.1.0' ? true : undefined,
    );
    expect(patchText(await inject(injector.url))).toContain('"restartPolicy":"Always"');

    writeFileSync(settingsPath, '{"version": ');
    await eventually('the bad file to be counted', async () =>
      (await injector.metrics.registry.metrics()).includes(
        'trellis_webhook_settings_reloads_total{result="error"} 1',
      )
        ? true
        : undefined,
    );
    expect(injector.state.settings.version).toBe('2.1.0');
  });

  it('serves a rotated certificate to new connections', async () => {
    const { injector, dir } = await start({});
    const url = new URL(injector.url);
    const a = readFileSync(fixture('tls-a.crt'), 'utf8');
    const b = readFileSync(fixture('tls-b.crt'), 'utf8');
    expect(await peerCn(url, a)).toBe('trellis-injector-test-a');
    useCert(dir, 'b');
    await eventually('the new certificate', async () =>
      (await peerCn(url, b).catch(() => undefined)) === 'trellis-injector-test-b' ? true : undefined,
    );
  });

  it('refuses to start on bad settings', async () => {
    await expect(start({ nativeSidecar: 'sometimes' })).rejects.toThrow('nativeSidecar');
  });
});
