import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface AdmissionReviewV1 {
  apiVersion: string;
  kind: string;
  request: {
    uid: string;
    operation: string;
    dryRun?: boolean;
    kind: { kind: string };
    object?: { metadata?: { name?: string; generateName?: string } };
  };
}

export interface TestWebhook {
  url: string;
  reviews: AdmissionReviewV1[];
  close: () => Promise<void>;
}

/**
 * A small HTTPS admission webhook for tests: records every review and allows it, with `patch`
 * (RFC 6902) when one is given.
 */
export async function startTestWebhook(
  tls: { cert: string | Buffer; key: string | Buffer },
  patch: object[] = [],
): Promise<TestWebhook> {
  const reviews: AdmissionReviewV1[] = [];
  const server = createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const review = JSON.parse(body) as AdmissionReviewV1;
      reviews.push(review);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed: true,
            ...(patch.length > 0 && {
              patchType: 'JSONPatch',
              patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
            }),
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/mutate`,
    reviews,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
