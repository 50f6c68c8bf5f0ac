import { randomBytes } from 'node:crypto';
import { test as base } from 'vitest';
import { apiStatus, eventually, type Kube, kube } from './kube.js';

/** A fresh namespace for one test, ready for pods (its default ServiceAccount exists), deleted afterwards. */
export async function createTestNamespace(k: Kube, prefix = 't'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await k.core.createNamespace({ body: { metadata: { name, labels: { 'trellis.dev/test': 'true' } } } });
  // Pods are refused until the controller-manager has made the namespace's default ServiceAccount.
  await eventually(`ServiceAccount ${name}/default`, async () =>
    k.core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );
  return name;
}

export async function deleteNamespace(k: Kube, name: string): Promise<void> {
  try {
    await k.core.deleteNamespace({ name });
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
  }
}

/** `test` with a `kube` client and an `ns` made for the test alone. */
export const test = base.extend<{ kube: Kube; ns: string }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest fixtures read their dependencies from this pattern.
  kube: async ({}, use) => {
    await use(kube());
  },
  ns: async ({ kube }, use) => {
    const name = await createTestNamespace(kube);
    await use(name);
    await deleteNamespace(kube, name);
  },
});
