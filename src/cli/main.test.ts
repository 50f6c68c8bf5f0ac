import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const main = new URL('./main.ts', import.meta.url).pathname;

describe('the trellisctl binary', () => {
  it('pipes stdin through inject and exits with the command status', () => {
    const ok = spawnSync(process.execPath, ['--import', 'tsx', main, 'inject', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: app:1}]}\n',
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('name: trellis-init');
    expect(ok.stderr).toContain('pod/p: injected');
    const bad = spawnSync(process.execPath, ['--import', 'tsx', main, 'nope'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  }, 30_000);
});
