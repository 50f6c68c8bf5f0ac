import type { TestProject } from 'vitest/node';
import { down, up } from '../../devcluster/cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

/**
 * Integration tests talk to the real local control plane: reuse a healthy one
 * (a developer's `npm run cluster:up`), or start one and stop it afterwards.
 */
export default async function setup(project: TestProject) {
  const info = await up((line) => console.log(`[cluster] ${line}`));
  project.provide('kubeconfig', info.kubeconfig);
  console.log(`[cluster] ${info.reused ? 'reusing the running cluster' : 'started'}: ${info.server}`);
  if (info.reused) return;
  return async () => {
    await down((line) => console.log(`[cluster] ${line}`));
  };
}
