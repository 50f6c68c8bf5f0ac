import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type InitOptionsInput, toInitArgs } from '../../src/api/init-options.js';
import type { ExecResult, Pod, PodProcess, RunAs } from '../support/netns.js';

/** What the dataplane tests do inside pods: run trellis-init, listen, connect. */

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
/** argv running a TypeScript file through tsx. */
export const tsx = (file: string) => [process.execPath, '--import', 'tsx', file];

/** The apps' user and group in the pods: not root, and not the proxy's UID 1337. */
export const app = { uid: 1000, gid: 1000 };

export const td = 'cluster.local';

export const initMain = path('../../src/sidecar-image/init/main.ts');

export interface InitAs extends RunAs {
  /**
   * Only these capabilities (e.g. `net_admin`), and no privilege escalation, as a
   * container's securityContext grants them. Unset: all of root's.
   */
  capabilities?: string[];
}

/** Runs trellis-init in the pod as trellis-init runs in a pod: as root, from its arguments. */
export function runInit(pod: Pod, args: string[] | InitOptionsInput, as: InitAs = {}): Promise<ExecResult> {
  const argv = Array.isArray(args) ? args : toInitArgs(args);
  const { capabilities, ...runAs } = as;
  const restrict = capabilities
    ? [
        'setpriv',
        '--no-new-privs',
        '--inh-caps=-all',
        `--bounding-set=-all${capabilities.map((c) => `,+${c}`).join('')}`,
      ]
    : [];
  return pod.exec([...restrict, ...tsx(initMain), ...argv], runAs);
}

/** trellis-init's JSON log lines. */
export const logLines = (result: ExecResult): Record<string, unknown>[] =>
  result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

export interface Listener {
  name: string;
  process: PodProcess;
  /** The payloads each of its ports received, with the UID the listener ran as. */
  received: () => { port: number; uid: number; local: string; remote: string; payload: string }[];
}

export async function listen(pod: Pod, name: string, ports: number[], as: RunAs = {}): Promise<Listener> {
  const proc = pod.spawn([...tsx(path('./fixtures/listen.ts')), name, ports.join(',')], as);
  await proc.waitForLine(/"event":"listening"/, 30_000);
  return {
    name,
    process: proc,
    received: () =>
      proc
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"event":"connection"'))
        .map((line) => JSON.parse(line)),
  };
}

export interface Connection {
  /** `NAME:PORT` of the listener that answered, or the error. */
  reply?: string;
  error?: string;
  /** Unique per call: find it in a listener's `received()`. */
  payload: string;
}

export async function connectFrom(pod: Pod, host: string, port: number, as: RunAs = {}): Promise<Connection> {
  const payload = randomUUID();
  const result = await pod.exec([...tsx(path('./fixtures/connect.ts')), host, String(port), payload], as);
  const line = result.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`connect.ts printed nothing (exit ${result.code}): ${result.stderr}`);
  return { ...JSON.parse(line), payload };
}
