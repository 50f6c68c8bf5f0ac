import { describe, expect, it } from 'vitest';
import { mountPrologue, quote } from './mounts.js';

// A host where /etc, /run (and /var/run → /run) and /tmp exist.
const host: Record<string, string> = {
  '/': '/',
  '/etc': '/etc',
  '/run': '/run',
  '/var': '/var',
  '/var/run': '/run',
  '/tmp': '/tmp',
  '/data': '/data',
};
const resolve = (path: string) => host[path];
const scratch = '/tmp/agent/pods/u/overlays/app-0';
const log = '/tmp/agent/logs/app/0.log';

describe('mountPrologue', () => {
  it('sends output to the log and binds a volume onto an existing path', () => {
    const script = mountPrologue(
      [{ source: '/tmp/v/data', target: '/data', readOnly: false, file: false }],
      resolve,
      scratch,
      log,
    );
    expect(script.split('\n')).toEqual([
      'set -e',
      "exec >>'/tmp/agent/logs/app/0.log' 2>&1",
      "mount --bind '/tmp/v/data' '/data'",
    ]);
  });

  it('overlays the nearest existing ancestor of a missing path (through symlinks), read-only when asked', () => {
    const script = mountPrologue(
      [
        {
          source: '/tmp/v/token',
          target: '/var/run/secrets/kubernetes.io/serviceaccount',
          readOnly: true,
          file: false,
        },
        { source: '/tmp/v/config', target: '/etc/trellis/config', readOnly: true, file: false },
        { source: '/tmp/v/identity', target: '/etc/trellis/identity', readOnly: false, file: false },
      ],
      resolve,
      scratch,
      log,
    );
    const lines = script.split('\n');
    expect(lines).toContain(
      `mount -t overlay overlay -o 'lowerdir=/etc,upperdir=${scratch}/0/upper,workdir=${scratch}/0/work' '/etc'`,
    );
    expect(lines).toContain(
      `mount -t overlay overlay -o 'lowerdir=/run,upperdir=${scratch}/1/upper,workdir=${scratch}/1/work' '/run'`,
    );
    expect(lines).toContain("mkdir -p '/var/run/secrets/kubernetes.io/serviceaccount'");
    expect(lines).toContain("mount -o remount,bind,ro '/etc/trellis/config'");
    expect(lines).not.toContain("mount -o remount,bind,ro '/etc/trellis/identity'");
    // Overlays first: one mounted later would hide the binds below it.
    const lastOverlay = lines.findLastIndex((l) => l.startsWith('mount -t overlay'));
    expect(lines.findIndex((l) => l.startsWith('mount --bind'))).toBeGreaterThan(lastOverlay);
  });

  it('overlays only the outermost of nested ancestors', () => {
    const nested: Record<string, string> = { ...host, '/etc/ssl': '/etc/ssl' };
    const script = mountPrologue(
      [
        { source: '/s/a', target: '/etc/x/a', readOnly: false, file: false },
        { source: '/s/b', target: '/etc/ssl/y/b', readOnly: false, file: false },
      ],
      (p) => nested[p],
      scratch,
      log,
    );
    expect(script.match(/mount -t overlay/g)).toHaveLength(1);
  });

  it('makes a file mount point for a subPath file', () => {
    const script = mountPrologue(
      [{ source: '/s/cfg/app.yaml', target: '/etc/app/app.yaml', readOnly: true, file: true }],
      resolve,
      scratch,
      log,
    );
    expect(script).toContain("mkdir -p '/etc/app' && touch '/etc/app/app.yaml'");
  });

  it('refuses a path whose only existing ancestor is / or holds the scratch directory', () => {
    expect(() =>
      mountPrologue(
        [{ source: '/s', target: '/opt/app/x', readOnly: false, file: false }],
        resolve,
        scratch,
        log,
      ),
    ).toThrow(/nearest existing ancestor \/ cannot be overlaid/);
    expect(() =>
      mountPrologue(
        [{ source: '/s', target: '/tmp/new/x', readOnly: false, file: false }],
        resolve,
        scratch,
        log,
      ),
    ).toThrow(/ancestor \/tmp cannot be overlaid/);
  });

  it('quotes for the shell', () => {
    expect(quote("it's")).toBe(`'it'\\''s'`);
  });
});
