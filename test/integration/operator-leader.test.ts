import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, inject } from 'vitest';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The test entry each operator process runs: the real process entry (settings, signals, exit codes)
 * with one controller that, while its process leads, appends "<identity> <counter>" to the ConfigMap
 * `ledger` every 200 ms. Writes carry the resourceVersion read, so the ledger's order is the order in
 * which the writes happened.
 */
const entrySource = `
import { CoreV1Api } from ${JSON.stringify(import.meta.resolve('@kubernetes/client-node'))};
import { runOperatorProcess } from ${JSON.stringify(pathToFileURL(join(root, 'src/operator/main.ts')).href)};

const namespace = process.env.LEDGER_NAMESPACE;
const identity = process.env.POD_NAME;
let counter = 0;
const resource = { id: 'ledger', apiVersion: 'v1', plural: 'configmaps', namespace, fieldSelector: 'metadata.name=ledger' };
const ledger = {
  setup: ({ kc }) => {
    const core = kc.makeApiClient(CoreV1Api);
    const watches = [{ resource, keys: () => [{ namespace, name: 'ledger' }] }];
    const reconciler = {
      name: 'ledger',
      async reconcile(key) {
        const cm = await core.readNamespacedConfigMap({ name: key.name, namespace: key.namespace });
        const entries = cm.data?.entries ? cm.data.entries.split('\\n') : [];
        entries.push(identity + ' ' + (counter + 1));
        cm.data = { ...cm.data, entries: entries.join('\\n') };
        await core.replaceNamespacedConfigMap({ name: key.name, namespace: key.namespace, body: cm });
        counter++;
        return { requeueAfterMs: 200 };
      },
    };
    return { watches, reconciler };
  },
};
await runOperatorProcess([ledger]);
`;

interface Operator {
  name: string;
  child: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
}

function spawnOperator(entry: string, name: string, namespace: string): Operator {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: {
      ...process.env,
      KUBECONFIG: inject('kubeconfig'),
      POD_NAME: name,
      POD_NAMESPACE: namespace,
      LEDGER_NAMESPACE: namespace,
      TRELLIS_OPERATOR_HOST: '127.0.0.1',
      TRELLIS_OPERATOR_PORT: '0',
      TRELLIS_OPERATOR_LOG_LEVEL: 'info',
      TRELLIS_OPERATOR_LEASE_DURATION_MS: '4000',
      TRELLIS_OPERATOR_RENEW_DEADLINE_MS: '3000',
      TRELLIS_OPERATOR_RETRY_PERIOD_MS: '500',
      TRELLIS_OPERATOR_SHUTDOWN_GRACE_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { name, child, logs, exited };
}

/** The process's pino records (other output, such as a runtime warning, is skipped). */
function records(operator: Operator): Array<{ msg?: string; port?: number; time?: number }> {
  return operator.logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as { msg?: string; port?: number; time?: number }];
    } catch {
      return [];
    }
  });
}

/** The port from the process's "operator started" log line. */
function portOf(operator: Operator): number | undefined {
  return records(operator).find((record) => record.msg === 'operator started')?.port;
}

async function leaderGauge(operator: Operator): Promise<string | undefined> {
  const port = portOf(operator);
  if (!port) return undefined;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return /^trellis_operator_leader (\d)$/m.exec(text)?.[1];
}

describe('operator leader election with two processes', () => {
  test('one leads; after a SIGKILL the other takes over; the work never overlaps', async ({ kube, ns }) => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-leader-'));
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, entrySource);
    await kube.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'ledger' }, data: {} },
    });
    const ledger = async () =>
      ((await kube.core.readNamespacedConfigMap({ name: 'ledger', namespace: ns })).data?.entries ?? '')
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [who, n] = line.split(' ');
          return { who: who ?? '', n: Number(n) };
        });

    const operators = [spawnOperator(entry, 'leader-a', ns), spawnOperator(entry, 'leader-b', ns)];
    try {
      await eventually(
        'both operators serving',
        async () => (operators.every(portOf) ? true : undefined),
        60_000,
      );
      const first = await eventually('a leader writing', async () => {
        const entries = await ledger();
        return entries.length >= 5 ? entries[0]?.who : undefined;
      });
      const leader = operators.find((o) => o.name === first);
      const standby = operators.find((o) => o.name !== first);
      if (!leader || !standby) throw new Error(`unknown writer ${first}`);
      expect((await ledger()).every((e) => e.who === leader.name)).toBe(true);
      expect(await leaderGauge(leader)).toBe('1');
      expect(await leaderGauge(standby)).toBe('0');
      const lease = await kube.coordination.readNamespacedLease({ name: 'trellis-operator', namespace: ns });
      expect(lease.spec?.holderIdentity).toBe(leader.name);

      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await leader.exited;
      await eventually('the standby writing', async () =>
        (await ledger()).some((e) => e.who === standby.name) ? true : undefined,
      );
      await eventually('the standby writing more', async () =>
        (await ledger()).filter((e) => e.who === standby.name).length >= 3 ? true : undefined,
      );
      expect(await leaderGauge(standby)).toBe('1');
      const tookOverAt = records(standby).find((record) => record.msg === 'started leading')?.time;
      // Reported, not asserted: how long the standby took to lead after the kill (lease duration 4 s).
      console.log(`[operator-leader] takeover ${tookOverAt ? tookOverAt - killedAt : '?'} ms after SIGKILL`);

      // No overlap: every entry of the first leader precedes every entry of the second, each counting 1, 2, 3...
      const entries = await ledger();
      const switchAt = entries.findIndex((e) => e.who === standby.name);
      const before = entries.slice(0, switchAt);
      const after = entries.slice(switchAt);
      expect(before.every((e) => e.who === leader.name)).toBe(true);
      expect(after.every((e) => e.who === standby.name)).toBe(true);
      expect(before.map((e) => e.n)).toEqual(before.map((_e, i) => i + 1));
      expect(after.map((e) => e.n)).toEqual(after.map((_e, i) => i + 1));
      const taken = await kube.coordination.readNamespacedLease({ name: 'trellis-operator', namespace: ns });
      expect(taken.spec?.holderIdentity).toBe(standby.name);
      expect(taken.spec?.leaseTransitions).toBe(1);

      // Graceful stop: finish, release the Lease, exit 0.
      standby.child.kill('SIGTERM');
      expect(await standby.exited).toBe(0);
      const released = await kube.coordination.readNamespacedLease({
        name: 'trellis-operator',
        namespace: ns,
      });
      expect(released.spec?.holderIdentity ?? '').toBe('');
      expect(standby.logs.some((line) => line.includes('released the lease'))).toBe(true);
    } catch (err) {
      for (const o of operators) console.error(`--- ${o.name}\n${o.logs.slice(-40).join('\n')}`);
      throw err;
    } finally {
      for (const o of operators)
        if (o.child.exitCode === null && o.child.signalCode === null) o.child.kill('SIGKILL');
      await Promise.all(operators.map((o) => o.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
