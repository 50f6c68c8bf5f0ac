import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../devcluster/paths.js';

/** What ships (`npm run build`, then `node dist/operator/main.js`), or the sources under tsx. */
export type OperatorRuntime = 'compiled' | 'tsx';

const compiledMain = join(repoRoot, 'dist/operator/main.js');

/**
 * `npm run build` (tsc -p tsconfig.build.json). tsc writes the JavaScript even when some file has type
 * errors; on the shared checkout those may be someone else's work in progress, so the run goes on when
 * the operator's entry point was written by this build, and says what tsc reported.
 */
export function buildOperator(log: (line: string) => void): void {
  const started = Date.now();
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
  });
  const written = statSync(compiledMain, { throwIfNoEntry: false });
  if (!written || written.mtimeMs < started - 1000) {
    throw new Error(`npm run build did not write ${compiledMain}:\n${result.stdout}${result.stderr}`);
  }
  if (result.status !== 0) {
    log(
      `tsc reported errors (the JavaScript was written anyway):\n${result.stdout.split('\n').slice(0, 10).join('\n')}`,
    );
  }
}

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
 * The real operator process (every registered controller, cluster-wide) as a child of its own, so its
 * CPU time and RSS can be read from /proc: compiled (call buildOperator first) or under tsx, whose
 * loader compiles the sources in the process and holds about 100 MB of its own. `cpuProfDir` adds
 * `--cpu-prof`.
 */
export async function startOperatorProcess(opts: {
  kubeconfig: string;
  runtime: OperatorRuntime;
  cpuProfDir?: string;
  timeoutMs: number;
}): Promise<OperatorProcess> {
  const args = [
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
    ...(opts.runtime === 'compiled'
      ? [compiledMain]
      : ['--import', 'tsx', join(repoRoot, 'src/operator/main.ts')]),
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
