import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAtomically } from './atomic-writer.js';

const file = (path: string, content: string, mode?: number) => ({
  path,
  content: Buffer.from(content),
  ...(mode === undefined ? {} : { mode }),
});

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-writer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lays files out as the kubelet does: a timestamped directory, ..data, and links through it', async () => {
    expect(await writeAtomically(dir, [file('a', '1'), file('sub/b', '2', 0o600)])).toBe(true);
    const data = await readlink(join(dir, '..data'));
    expect(data).toMatch(/^\.\.\d{4}/);
    expect(await readlink(join(dir, 'a'))).toBe('..data/a');
    expect(await readlink(join(dir, 'sub'))).toBe('..data/sub');
    expect(await readFile(join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect((await stat(join(dir, 'sub/b'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a'))).mode & 0o777).toBe(0o644);
  });

  it('swaps ..data to a new directory on change, drops removed keys and the old directory', async () => {
    await writeAtomically(dir, [file('a', '1'), file('b', '2')]);
    const before = await readlink(join(dir, '..data'));
    expect(await writeAtomically(dir, [file('a', 'changed')])).toBe(true);
    expect(await readlink(join(dir, '..data'))).not.toBe(before);
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('changed');
    const names = (await readdir(dir)).sort();
    expect(names).toHaveLength(3);
    expect(names).toContain('..data');
    expect(names).toContain('a');
    expect((await lstat(join(dir, 'a'))).isSymbolicLink()).toBe(true);
  });

  it('changes nothing when the content is the same', async () => {
    await writeAtomically(dir, [file('a', '1')]);
    const before = await readlink(join(dir, '..data'));
    expect(await writeAtomically(dir, [file('a', '1')])).toBe(false);
    expect(await readlink(join(dir, '..data'))).toBe(before);
  });

  it('takes concurrent writes to one directory one at a time, the last one winning', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => writeAtomically(dir, [file('a', String(i)), file('b', 'same')])),
    );
    expect(results.every((r) => r === true)).toBe(true);
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('7');
    expect((await readdir(dir)).filter((n) => n.startsWith('..')).length).toBe(2);
  });
});
