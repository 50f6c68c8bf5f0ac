import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const fixture = (f: string) => new URL(`../../test/fixtures/webhook/${f}`, import.meta.url).pathname;
const main = new URL('./main.ts', import.meta.url).pathname;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (url: string) =>
  new Promise<number>((resolve, reject) => {
    request(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });

describe('the injector command', () => {
  it('starts from flags, logs where it listens, and drains and exits 0 on SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'injector-main-'));
    copyFileSync(fixture('tls-a.crt'), join(dir, 'tls.crt'));
    copyFileSync(fixture('tls-a.key'), join(dir, 'tls.key'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        main,
        '--cert-dir',
        dir,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--kubeconfig',
        'none',
        '--drain-seconds',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let url: string | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg === 'injector listening') {
          url = entry.url;
          break;
        }
      }
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(`${url}/healthz`)).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('exits 2 naming an unknown flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, '--cert', '/x'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("injector: Unknown option '--cert'");
  }, 30_000);

  it('exits 1 when it cannot load its certificate', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', main, '--cert-dir', '/nonexistent', '--kubeconfig', 'none'],
      {
        stdio: 'ignore',
      },
    );
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1);
  }, 30_000);
});
