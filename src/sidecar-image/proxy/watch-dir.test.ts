import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeAtomicVolume } from './testing/pki.js';
import { waitFor } from './testing/wait.js';
import { watchDir } from './watch-dir.js';

describe('watchDir', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('fires once for a kubelet-style ..data symlink swap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-watch-'));
    dirs.push(dir);
    writeAtomicVolume(dir, { 'config.json': '1' });
    let calls = 0;
    const w = watchDir(dir, () => calls++, { debounceMs: 50, pollMs: 60_000 });
    try {
      writeAtomicVolume(dir, { 'config.json': '2' });
      await waitFor(() => calls > 0, 2_000, 'change event');
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(1);
    } finally {
      w.close();
    }
  });

  it('polls a directory that did not exist when watching began', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'trellis-watch-'));
    dirs.push(parent);
    let calls = 0;
    const w = watchDir(join(parent, 'later'), () => calls++, { debounceMs: 10, pollMs: 50 });
    try {
      await waitFor(() => calls >= 2, 2_000, 'polls');
    } finally {
      w.close();
    }
    const after = calls;
    await new Promise((r) => setTimeout(r, 150));
    expect(calls).toBe(after);
  });
});
