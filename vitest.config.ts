import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'devcluster/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/e2e/**/*.e2e.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['./test/support/cluster-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'dataplane',
          // Real network namespaces and iptables; needs root (see test/support/netns.ts).
          include: ['test/dataplane/**/*.test.ts', 'test/support/netns.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // Pods run by the node agent (test/e2e/node-agent/) on the local control plane; needs root.
          include: ['test/e2e/**/*.e2e.test.ts'],
          // One node agent per machine (its network is one bridge): files take turns.
          fileParallelism: false,
          // After the other projects: the mesh's MeshConfig and webhook are cluster-wide, and the
          // scenarios measure traffic, so nothing else runs against the cluster meanwhile.
          sequence: { groupOrder: 1 },
          globalSetup: ['./test/support/cluster-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
