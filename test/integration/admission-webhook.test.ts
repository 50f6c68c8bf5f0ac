import { describe, expect } from 'vitest';
import { issueSelfSigned } from '../support/cert-manager.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';
import { startTestWebhook } from '../support/webhook-server.js';

describe('the API server calls mutating admission webhooks', () => {
  test('a pod created through the API comes back with the webhook mutation', async ({ kube, ns }) => {
    const tls = await issueSelfSigned(kube, ns, 'webhook', { ipAddresses: ['127.0.0.1'] });
    const webhook = await startTestWebhook(tls, [
      { op: 'add', path: '/metadata/annotations', value: { 'test.trellis.dev/mutated': 'yes' } },
    ]);
    const name = `t-mutate-${ns}`;
    try {
      await kube.admission.createMutatingWebhookConfiguration({
        body: {
          metadata: { name, annotations: { 'cert-manager.io/inject-ca-from': `${ns}/webhook` } },
          webhooks: [
            {
              name: 'mutate.test.trellis.dev',
              admissionReviewVersions: ['v1'],
              sideEffects: 'None',
              failurePolicy: 'Fail',
              timeoutSeconds: 5,
              clientConfig: { url: webhook.url },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            },
          ],
        },
      });
      await eventually('the cainjector to fill caBundle', async () => {
        const mwc = await kube.admission.readMutatingWebhookConfiguration({ name });
        return mwc.webhooks?.[0]?.clientConfig.caBundle || undefined;
      });

      // failurePolicy Fail: until the API server has the caBundle, creation is refused rather than unmutated.
      const pod = await eventually('a pod to be admitted through the webhook', async () =>
        kube.core.createNamespacedPod({
          namespace: ns,
          body: {
            metadata: { name: 'app' },
            spec: { containers: [{ name: 'app', image: 'trellis.invalid/app:1' }] },
          },
        }),
      );
      expect(pod.metadata?.annotations?.['test.trellis.dev/mutated']).toBe('yes');
      const stored = await kube.core.readNamespacedPod({ name: 'app', namespace: ns });
      expect(stored.metadata?.annotations?.['test.trellis.dev/mutated']).toBe('yes');

      const review = webhook.reviews.at(-1);
      expect(review?.request.operation).toBe('CREATE');
      expect(review?.request.kind.kind).toBe('Pod');
    } finally {
      await kube.admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
      await webhook.close();
    }
  });
});
