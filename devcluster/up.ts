import { StartError, up } from './cluster.js';

try {
  const info = await up();
  if (info.reused) console.log('reusing the healthy local cluster that is already running');
  console.log(`\nkubectl ${info.binDir}/kubectl matches the cluster's version. To use the cluster:\n`);
  console.log(`export KUBECONFIG=${info.kubeconfig}`);
  console.log(`export PATH=${info.binDir}:$PATH`);
} catch (err) {
  console.error(err instanceof StartError ? `cluster:up failed: ${err.message}` : err);
  process.exit(1);
}
