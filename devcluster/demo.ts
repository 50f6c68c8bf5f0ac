import pino from 'pino';
import { applyObjects, deleteNamespace, waitRollouts } from '../test/e2e/mesh/deploy.js';
import { installTrellis, uninstallTrellis } from '../test/e2e/mesh/install.js';
import { sampleObjects } from '../test/e2e/mesh/sample.js';
import { type NodeAgent, startAgent } from '../test/e2e/node-agent/agent.js';
import { type ClusterInfo, down, StartError, up } from './cluster.js';
import { type DemoArgs, parseDemoArgs } from './demo-args.js';
import { renderFrame, runTable, verdict } from './demo-table.js';

/**
 * `npm run demo`: the README's main command. Brings up the local cluster
 * (building it the first time), runs the node agent, installs Trellis from
 * the config/ kustomization (the operator, as a pod, installs the injector
 * from MeshConfig `default`), deploys the sample shop (frontend → orders →
 * payments, v2 canary at 10 %) with a meshed loadgen, and shows a live
 * per-edge table until Ctrl-C (or `--for`), then removes all it added.
 */

const namespace = 'trellis-demo';
const node = 'trellis-demo-1';
const say = (line: string) => console.log(`[demo] ${line}`);

class Interrupted extends Error {}

function instructions(info: ClusterInfo): string {
  return `
Trellis runs, and the sample shop takes traffic. In another shell:

  export KUBECONFIG=${info.kubeconfig}
  export PATH=${info.binDir}:$PATH
  kubectl get meshconfig default                 # Ready: the operator installed the mesh
  kubectl -n ${namespace} get pods,trafficroutes,destinationpolicies

Things to try (the table shows the effect within a refresh or two):

  # move the canary to 50 %
  kubectl -n ${namespace} patch trafficroute payments --type=json -p '[
    {"op":"replace","path":"/spec/rules/0/destinations/0/weight","value":50},
    {"op":"replace","path":"/spec/rules/0/destinations/1/weight","value":50}]'

  # refuse orders' identity (it calls only payments): payments answers 403, orders and frontend fail
  kubectl apply -f - <<'EOF'
  apiVersion: trellis.dev/v1alpha1
  kind: AuthorizationPolicy
  metadata: {name: deny-orders, namespace: ${namespace}}
  spec:
    action: DENY
    rules: [{from: [{principals: ["spiffe://cluster.local/ns/${namespace}/sa/orders"]}]}]
  EOF
  kubectl -n ${namespace} delete authorizationpolicy deny-orders    # and back

Press Ctrl-C to stop: the sample, Trellis and the node agent are removed${info.reused ? ' (the cluster was already running and stays)' : ', and the cluster stopped'}.
`;
}

async function main(args: DemoArgs): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error(
      'demo: needs root (the node agent makes network namespaces and iptables rules); run it with sudo',
    );
    return 1;
  }
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    say('stopping (Ctrl-C again to leave without cleaning up)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupted = new Promise<never>((_, reject) =>
    stop.signal.addEventListener('abort', () => reject(new Interrupted()), { once: true }),
  );
  interrupted.catch(() => undefined);
  const step = <T>(what: string, p: Promise<T>): Promise<T> => {
    say(what);
    return Promise.race([p, interrupted]);
  };

  let info: ClusterInfo | undefined;
  let agent: NodeAgent | undefined;
  let installed = false;
  let code = 0;
  try {
    info = await step('bringing up the local cluster (the first run builds it: about 10 minutes)', up(say));
    const kubeconfig = info.kubeconfig;
    agent = await step(
      `starting the node agent (node ${node})`,
      startAgent({ kubeconfig, nodes: [node], log: pino({ name: 'node-agent', level: 'warn' }) }),
    );
    installed = true;
    await step(
      'installing Trellis from config/ (kubectl apply -k)',
      installTrellis(kubeconfig, { log: say }),
    );
    await step(
      `deploying the sample in namespace ${namespace}`,
      applyObjects(kubeconfig, sampleObjects({ namespace, rate: args.rate })),
    );
    await step('waiting for the sample to roll out', waitRollouts(kubeconfig, namespace));
    console.log(instructions(info));

    const tty = process.stdout.isTTY;
    const timer = args.forSeconds ? setTimeout(() => stop.abort(), args.forSeconds * 1000) : undefined;
    const last = await runTable({
      kubeconfig,
      namespace,
      refreshSeconds: args.refreshSeconds,
      // Bounded even without --for: a day of frames.
      maxFrames: Math.ceil((args.forSeconds ?? 86_400) / args.refreshSeconds),
      signal: stop.signal,
      print: (frame) => {
        // On a terminal the table redraws in place; in a log each frame follows the last.
        console.log(`${tty ? '\x1b[2J\x1b[H' : '\n'}${renderFrame(frame)}`);
        if (tty) console.log('\nCtrl-C to stop and clean up.');
      },
    });
    clearTimeout(timer);
    if (args.forSeconds) {
      const failure = verdict(last);
      say(failure ? `FAILED: ${failure}` : 'ok: every edge carried requests over mTLS');
      if (failure) code = 1;
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) {
      console.error(err instanceof StartError ? `demo failed: ${err.message}` : err);
      code = 1;
    }
  }

  say('cleaning up');
  if (info && installed) {
    await deleteNamespace(info.kubeconfig, namespace).catch((err: unknown) => say(String(err)));
    await uninstallTrellis(info.kubeconfig, say);
  }
  await agent?.stop().catch((err: unknown) => say(`node agent stop: ${String(err)}`));
  if (info && !info.reused) await down(say);
  say('done');
  return code;
}

let args: DemoArgs;
try {
  args = parseDemoArgs(process.argv.slice(2));
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  console.error('usage: npm run demo -- [--for 60s] [--rate 10] [--refresh 5s]');
  process.exit(2);
}
process.exit(await main(args));
