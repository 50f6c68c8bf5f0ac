import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FileWatch, watchFiles } from './file-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let watch: FileWatch | undefined;
let dir: string | undefined;
afterEach(() => {
  watch?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('watchFiles', () => {
  it('calls back once per content change, not for rewrites of the same content', async () => {
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'a');
    writeFileSync(file, 'one');
    let changes = 0;
    watch = watchFiles(
      [file],
      20,
      () => void changes++,
      () => undefined,
    );
    await sleep(80);
    writeFileSync(file, 'one');
    await sleep(80);
    expect(changes).toBe(0);
    writeFileSync(file, 'two');
    await sleep(80);
    expect(changes).toBe(1);
  });

  it('reports a file it cannot read and picks up once it appears', async () => {
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'missing');
    const errors: unknown[] = [];
    let changes = 0;
    watch = watchFiles(
      [file],
      20,
      () => void changes++,
      (err) => errors.push(err),
    );
    await sleep(60);
    expect(errors.length).toBeGreaterThan(0);
    writeFileSync(file, 'now');
    await sleep(60);
    writeFileSync(file, 'changed');
    await sleep(60);
    expect(changes).toBe(1);
  });

  it('reports a failing callback once, not on every tick', async () => {
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'a');
    writeFileSync(file, 'one');
    const errors: unknown[] = [];
    watch = watchFiles(
      [file],
      20,
      () => {
        throw new Error('bad content');
      },
      (err) => errors.push(err),
    );
    await sleep(60);
    writeFileSync(file, 'two');
    await sleep(120);
    expect(errors).toHaveLength(1);
  });
});
