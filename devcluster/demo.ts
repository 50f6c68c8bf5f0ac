import { down, StartError, up } from './cluster.js';

/**
 * `npm run demo`: the README's main command. Today it brings up the local
 * control plane and keeps it until Ctrl-C; installing Trellis, the sample
 * apps and the live traffic table arrive with the end-to-end issue.
 */
try {
  const info = await up();
  console.log(
    `\nThe local cluster is up${info.reused ? ' (it was already running)' : ''}. In another shell:\n`,
  );
  console.log(`  export KUBECONFIG=${info.kubeconfig}`);
  console.log(`  export PATH=${info.binDir}:$PATH`);
  console.log('  kubectl get --raw /readyz; kubectl api-resources | grep trellis\n');
  console.log('Trellis itself and the sample apps are not installed yet. Press Ctrl-C to stop the cluster.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await down();
} catch (err) {
  console.error(err instanceof StartError ? `demo failed: ${err.message}` : err);
  process.exit(1);
}
