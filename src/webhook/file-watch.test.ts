import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { digestFiles, type FileWatch, watchFiles } from './file-watch.js';
import { eventually } from './testing/eventually.js';

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
      await digestFiles([file]),
    );
    writeFileSync(file, 'one');
    await sleep(100);
    expect(changes).toBe(0);
    writeFileSync(file, 'two');
    await eventually('the change', async () => (changes === 1 ? true : undefined));
    await sleep(100);
    expect(changes).toBe(1);
  });

  it('does not miss a change made between the baseline and the first tick', async () => {
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const file = join(dir, 'a');
    writeFileSync(file, 'one');
    const baseline = await digestFiles([file]);
    writeFileSync(file, 'two');
    let changes = 0;
    watch = watchFiles(
      [file],
      20,
      () => void changes++,
      () => undefined,
      baseline,
    );
    await eventually('the change', async () => (changes === 1 ? true : undefined));
  });

  it('reports a file it cannot read and picks it up once it appears', async () => {
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
    await eventually('a read error', async () => (errors.length > 0 ? true : undefined));
    // The first successful read becomes the baseline; a later change is reported.
    let version = 0;
    await eventually('a change after the file appeared', async () => {
      writeFileSync(file, `v${version++}`);
      return changes > 0 ? true : undefined;
    });
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
      await digestFiles([file]),
    );
    writeFileSync(file, 'two');
    await eventually('the error', async () => (errors.length > 0 ? true : undefined));
    await sleep(150);
    expect(errors).toHaveLength(1);
  });
});
