import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../devcluster/paths.js';

export interface OperatorProcess {
  pid: number;
  child: ChildProcess;
  port: number;
  /** The last lines it logged, for a failure message. */
  tail(): string;
  /** SIGTERM (the graceful stop writes a --cpu-prof profile), SIGKILL after 30 s. */
  stop(): Promise<number | null>;
}

/**
 * The real operator process (`src/operator/main.ts`, every registered controller, cluster-wide) as a
 * child of its own, so its CPU time and RSS can be read from /proc. `cpuProfDir` adds `--cpu-prof`.
 */
export async function startOperatorProcess(opts: {
  kubeconfig: string;
  cpuProfDir?: string;
  timeoutMs: number;
}): Promise<OperatorProcess> {
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    '--import',
    'tsx',
    join(repoRoot, 'src/operator/main.ts'),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      KUBECONFIG: opts.kubeconfig,
      POD_NAME: 'bench-operator',
      POD_NAMESPACE: 'trellis-system',
      TRELLIS_OPERATOR_HOST: '127.0.0.1',
      TRELLIS_OPERATOR_PORT: '0',
      TRELLIS_OPERATOR_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let port: number | undefined;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (port === undefined && line.includes('"operator started"')) {
        port = (JSON.parse(line) as { port?: number }).port;
      }
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const tail = () => lines.slice(-30).join('\n');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  // Ready means leading with every cache synced: from then on, changes are reconciled.
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the operator exited with ${child.exitCode}:\n${tail()}`);
    if (port !== undefined) {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (res && (await res.text()) === 'leading; caches synced\n') break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the operator was not ready after ${opts.timeoutMs / 1000}s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (child.pid === undefined || port === undefined) throw new Error('the operator has no pid or port');
  return { pid: child.pid, child, port, tail, stop };
}
