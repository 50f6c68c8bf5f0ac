import { X509Certificate } from 'node:crypto';
import { describe, expect } from 'vitest';
import { issueSelfSigned } from '../support/cert-manager.js';
import { eventually } from '../support/kube.js';
import { test } from '../support/namespace.js';

describe('cert-manager', () => {
  test('issues a certificate from a SelfSigned issuer into a Secret', async ({ kube, ns }) => {
    const issued = await issueSelfSigned(kube, ns, 'demo', {
      dnsNames: [`demo.${ns}.svc`],
      ipAddresses: ['127.0.0.1'],
    });
    const cert = new X509Certificate(issued.cert);
    expect(cert.subject).toBe('CN=demo');
    expect(cert.subjectAltName).toBe(`DNS:demo.${ns}.svc, IP Address:127.0.0.1`);
    expect(
      cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(issued.key))),
    ).toBe(true);
    // Self-signed: the Secret's CA is the certificate itself, and it verifies with its own key.
    expect(issued.ca).toBe(issued.cert);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
  });

  test('the cainjector fills a webhook configuration caBundle from a Certificate', async ({ kube, ns }) => {
    const issued = await issueSelfSigned(kube, ns, 'serving', { ipAddresses: ['127.0.0.1'] });
    const name = `t-cainjector-${ns}`;
    await kube.admission.createMutatingWebhookConfiguration({
      body: {
        metadata: { name, annotations: { 'cert-manager.io/inject-ca-from': `${ns}/serving` } },
        webhooks: [
          {
            name: 'never-called.test.trellis.dev',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            clientConfig: { url: 'https://127.0.0.1:9/never' },
            // Matches nothing: this configuration exists only to have its caBundle filled.
            rules: [
              {
                operations: ['CREATE'],
                apiGroups: ['schema.test.trellis.dev'],
                apiVersions: ['v1'],
                resources: ['none'],
              },
            ],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          },
        ],
      },
    });
    try {
      const caBundle = await eventually('the cainjector to fill caBundle', async () => {
        const mwc = await kube.admission.readMutatingWebhookConfiguration({ name });
        return mwc.webhooks?.[0]?.clientConfig.caBundle || undefined;
      });
      expect(Buffer.from(caBundle, 'base64').toString('utf8')).toBe(issued.ca);
    } finally {
      await kube.admission.deleteMutatingWebhookConfiguration({ name });
    }
  });
});
