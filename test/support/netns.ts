import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * "Pods" for tests that need real networking: network namespaces joined to a
 * bridge in the host namespace by veth pairs, with addresses this harness
 * assigns itself. Needs root.
 *
 * Safety: it never enables IP forwarding and adds no route or NAT towards the
 * machine's interfaces. The only routes it adds are the bridge's connected
 * /24 on the host and, in each pod, a default route via the bridge's host
 * address, which goes nowhere further because the host does not forward.
 *
 * Subnets: a /24 inside the pod range 198.18.0.0/16 (devcluster/config.ts).
 * 198.18.0.0/24 belongs to the e2e node agent. Each test file takes its own
 * /24 and name so files can run in parallel: 198.18.97-100.0/24 are
 * netns.test.ts's, 198.18.101.0/24 and up test/dataplane/'s. The node agent
 * (test/e2e/node-agent/) asks for 198.18.0.0/24 with `nodeAgent: true`.
 */

const run = promisify(execFile);

export interface PodNetworkOptions {
  /** 1-6 lowercase letters or digits; every bridge, namespace and veth is named after it. */
  name: string;
  /** `198.18.N.0/24`, N from 1 to 255; `198.18.0.0/24` with `nodeAgent`. */
  subnet: string;
  /** The e2e node agent's network: the subnet must be 198.18.0.0/24, its reserved one. */
  nodeAgent?: boolean;
}

export interface RunAs {
  /** Run as this UID/GID (with no supplementary groups) instead of root. */
  uid?: number;
  gid?: number;
}

export interface SpawnOptions extends RunAs {
  /** The whole environment of the process (PATH included) instead of this process's. */
  env?: Record<string, string>;
  /**
   * A shell script run as root inside the pod's network namespace and the
   * private mount namespace `ip netns exec` makes, before the command (and
   * before dropping to `uid`/`gid`): bind mounts, redirections.
   */
  prologue?: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PodProcess {
  pid: number | undefined;
  /** Everything written to stdout so far. */
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout line that matches, once it is written; rejects after `timeoutMs`. */
  waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<ExecResult>;
  /** SIGTERM, then SIGKILL if it has not exited within two seconds. */
  stop: () => Promise<void>;
}

export interface Pod {
  name: string;
  netns: string;
  ip: string;
  spawn: (argv: string[], as?: SpawnOptions) => PodProcess;
  /** Runs to completion (killed after `timeoutMs`), whatever its exit code. */
  exec: (argv: string[], as?: RunAs & { timeoutMs?: number }) => Promise<ExecResult>;
}

export interface PodNetwork {
  bridge: string;
  gateway: string;
  pods: Pod[];
  addPod: (name: string) => Promise<Pod>;
  /** Kills whatever still runs in the pod's namespace and deletes it (and so its veth). Its address is not reused. */
  removePod: (pod: Pod) => Promise<void>;
  /** Stops every process, deletes the namespaces (and so their veths) and the bridge. Safe to call twice. */
  destroy: () => Promise<void>;
}

/** .2 to .254: .1 is the bridge's. */
const maxPods = 253;
const stopGraceMs = 2_000;

function parseSubnet(subnet: string, nodeAgent: boolean): string {
  if (nodeAgent) {
    if (subnet !== '198.18.0.0/24') throw new Error(`subnet ${subnet}: the node agent's is 198.18.0.0/24`);
    return '198.18.0';
  }
  const match = /^198\.18\.(\d{1,3})\.0\/24$/.exec(subnet);
  const third = Number(match?.[1]);
  if (!match || third < 1 || third > 255) {
    throw new Error(
      `subnet ${subnet}: expected 198.18.N.0/24 with N 1-255 (198.18.0.0/24 is the e2e node agent's)`,
    );
  }
  return `198.18.${third}`;
}

const ip = (...args: string[]) => run('ip', args);

async function namespacePids(netns: string): Promise<number[]> {
  const { stdout } = await ip('netns', 'pids', netns).catch(() => ({ stdout: '' }));
  return stdout.split(/\s+/).filter(Boolean).map(Number);
}

function killQuietly(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Removes the namespaces and bridge named after `name`: this run's, or a crashed earlier run's. */
async function removeNetwork(name: string): Promise<void> {
  const { stdout } = await ip('netns', 'list');
  const namespaces = stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((ns) => ns.startsWith(`trellis-${name}-`));
  for (const ns of namespaces) {
    for (const pid of await namespacePids(ns)) killQuietly(pid, 'SIGKILL');
    await ip('netns', 'del', ns);
  }
  // Deleting a namespace deletes the veth pairs in it; a pair left whole in the host
  // namespace (a crash before one end moved) and the bridge go here.
  const { stdout: links } = await ip('-o', 'link', 'show');
  const ours = [...links.matchAll(/^\d+: ([^:@]+)/gm)]
    .map((m) => m[1] ?? '')
    .filter((link) => link === `trb-${name}` || link.startsWith(`trv${name}-`));
  for (const link of ours) {
    await ip('link', 'del', link).catch((err: { stderr?: string }) => {
      // The other end of a pair already deleted with it.
      if (!/Cannot find device/.test(err.stderr ?? '')) throw err;
    });
  }
}

function spawnIn(netns: string, argv: string[], as: SpawnOptions, processes: Set<PodProcess>): PodProcess {
  const drop =
    as.uid === undefined && as.gid === undefined
      ? []
      : ['setpriv', `--reuid=${as.uid ?? 0}`, `--regid=${as.gid ?? 0}`, '--clear-groups'];
  // The prologue's shell execs the command, so the PID stays the command's.
  const prefix = as.prologue === undefined ? drop : ['sh', '-c', `${as.prologue}\nexec "$@"`, 'sh', ...drop];
  // Its own process group, so stopping it stops whatever it started too.
  const child = spawn('ip', ['netns', 'exec', netns, ...prefix, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(as.env === undefined ? {} : { env: as.env }),
  });
  let stdout = '';
  let stderr = '';
  let done = false;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of waiters) check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'exit' is the process itself; 'close' also waits for everything holding its pipes.
  const processExit = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', (err) => {
      stderr += err.message;
      resolve();
    });
  });
  const exited = new Promise<ExecResult>((resolve) => {
    child.on('close', (code) => {
      done = true;
      processes.delete(handle);
      for (const check of waiters) check();
      resolve({ code, stdout, stderr });
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid !== undefined) killQuietly(-child.pid, signal);
  };

  const handle: PodProcess = {
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLine: (pattern, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        const check = () => {
          const line = stdout.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) finish(() => resolve(line));
          else if (done)
            finish(() =>
              reject(new Error(`${argv.join(' ')} exited without printing ${pattern}: ${stderr}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`no line matching ${pattern} within ${timeoutMs}ms: ${stdout}${stderr}`)),
            ),
          timeoutMs,
        );
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (done) return;
      signalGroup('SIGTERM');
      const killer = setTimeout(() => signalGroup('SIGKILL'), stopGraceMs);
      await processExit;
      clearTimeout(killer);
      // Whatever left the group may still hold the pipes: wait for it only so long.
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, stopGraceMs).unref())]);
    },
  };
  processes.add(handle);
  return handle;
}

export async function createPodNetwork(opts: PodNetworkOptions): Promise<PodNetwork> {
  if (!/^[a-z0-9]{1,6}$/.test(opts.name)) throw new Error(`name ${opts.name}: expected 1-6 of [a-z0-9]`);
  const prefix = parseSubnet(opts.subnet, opts.nodeAgent === true);
  const bridge = `trb-${opts.name}`;
  const gateway = `${prefix}.1`;
  const processes = new Set<PodProcess>();
  const pods: Pod[] = [];
  let lastIndex = 1;

  await removeNetwork(opts.name);
  await ip('link', 'add', bridge, 'type', 'bridge');
  await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
  await ip('link', 'set', bridge, 'up');

  const addPod = async (name: string): Promise<Pod> => {
    if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`pod name ${name}: expected 1-8 of [a-z0-9]`);
    if (lastIndex > maxPods) throw new Error(`a pod network holds at most ${maxPods} pods`);
    // Taken before anything can fail, so a failed pod's address and names are never reused.
    const index = ++lastIndex;
    const netns = `trellis-${opts.name}-${name}`;
    const hostEnd = `trv${opts.name}-${index}`;
    const podEnd = `trp${opts.name}-${index}`;
    const address = `${prefix}.${index}`;
    await ip('netns', 'add', netns);
    await ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', podEnd);
    await ip('link', 'set', podEnd, 'netns', netns);
    await ip('link', 'set', hostEnd, 'master', bridge, 'up');
    await ip('-n', netns, 'link', 'set', podEnd, 'name', 'eth0');
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    await ip('-n', netns, 'route', 'add', 'default', 'via', gateway);
    const pod: Pod = {
      name,
      netns,
      ip: address,
      spawn: (argv, as = {}) => spawnIn(netns, argv, as, processes),
      exec: async (argv, { timeoutMs = 30_000, ...as } = {}) => {
        const child = spawnIn(netns, argv, as, processes);
        const timer = setTimeout(() => void child.stop(), timeoutMs);
        const result = await child.exited;
        clearTimeout(timer);
        return result;
      },
    };
    pods.push(pod);
    return pod;
  };

  const removePod = async (pod: Pod) => {
    const index = pods.indexOf(pod);
    if (index >= 0) pods.splice(index, 1);
    for (const pid of await namespacePids(pod.netns)) killQuietly(pid, 'SIGKILL');
    await ip('netns', 'del', pod.netns).catch((err: { stderr?: string }) => {
      if (!/No such file/.test(err.stderr ?? '')) throw err;
    });
  };

  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await Promise.all([...processes].map((p) => p.stop()));
    // Anything still inside (grandchildren) is killed with its namespace.
    await removeNetwork(opts.name);
  };

  return { bridge, gateway, pods, addPod, removePod, destroy };
}

/** A pod network for the length of `body`, destroyed afterwards whether `body` succeeds or throws. */
export async function withPodNetwork<T>(
  opts: PodNetworkOptions,
  body: (network: PodNetwork) => Promise<T>,
): Promise<T> {
  const network = await createPodNetwork(opts);
  try {
    return await body(network);
  } finally {
    await network.destroy();
  }
}
