import jsonpatch, { type Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { answerReview } from './review.js';
import { defaultSettings } from './settings.js';
import { recordedReview } from './testing/fixtures.js';

const ctx = { settings: defaultSettings, native: true };
const withObject = (object: unknown) => {
  const r = recordedReview('pod-create');
  return { ...r, request: { ...r.request, object } };
};

function response(answer: ReturnType<typeof answerReview>) {
  if (answer.status !== 200) throw new Error(answer.body.message);
  return answer.body.response;
}

describe('answering an AdmissionReview', () => {
  it('injects a recorded pod CREATE and patches exactly what the API server sent', () => {
    const review = recordedReview('pod-create');
    const answer = answerReview(review, ctx);
    const res = response(answer);
    expect(res).toMatchObject({ uid: review.request.uid, allowed: true, patchType: 'JSONPatch' });
    expect(res.auditAnnotations).toEqual({ injection: 'injected/pod-annotation' });
    expect(answer.outcome).toEqual({ result: 'injected', reason: 'pod-annotation' });
    const patch = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString()) as Operation[];
    const pod = jsonpatch.applyPatch(review.request.object, patch).newDocument as {
      spec: { initContainers: { name: string }[] };
    };
    expect(pod.spec.initContainers.map((c) => c.name)).toEqual(['trellis-init', 'trellis-proxy']);
  });

  it('injects a ReplicaSet pod (generateName, no name yet) through the namespace entry', () => {
    const answer = answerReview(recordedReview('pod-create-replicaset'), {
      ...ctx,
      defaultOptIn: 'namespace-label',
    });
    // The template's own label is the stronger reason.
    expect(answer.outcome).toEqual({ result: 'injected', reason: 'pod-label' });
  });

  it('answers dry-run requests the same way: injection has no side effects', () => {
    const dry = recordedReview('pod-create-dry-run');
    expect(dry.request.dryRun).toBe(true);
    const res = response(answerReview(dry, ctx));
    expect(res.allowed).toBe(true);
    expect(res.patch).toBeDefined();
  });

  it('allows a skipped pod unchanged, with a warning saying why', () => {
    const res = response(
      answerReview(recordedReview('pod-create-host-network'), { ...ctx, defaultOptIn: 'namespace-label' }),
    );
    expect(res.patch).toBeUndefined();
    expect(res.warnings).toEqual([
      'trellis: not injected (host-network): hostNetwork pods share the node network namespace and cannot be captured',
    ]);
    expect(res.auditAnnotations).toEqual({ injection: 'skipped/host-network' });
  });

  it('says nothing to pods that never asked', () => {
    const answer = answerReview(recordedReview('pod-create-host-network'), ctx);
    expect(answer.outcome).toEqual({ result: 'skipped', reason: 'not-opted-in' });
    expect(response(answer).warnings).toBeUndefined();
  });

  it('refuses a pod with a bad override, with the reason', () => {
    const r = recordedReview('pod-create');
    const metadata = r.request.object.metadata as { annotations: Record<string, string> };
    metadata.annotations['trellis.dev/exclude-inbound-ports'] = '99999';
    expect(response(answerReview(r, ctx))).toMatchObject({
      allowed: false,
      status: {
        code: 400,
        message:
          'trellis: cannot inject (invalid-override): trellis.dev/exclude-inbound-ports: "99999" is not a port',
      },
    });
  });

  it.each([
    ['an UPDATE', () => recordedReview('pod-update')],
    [
      'a DELETE',
      () => ({
        ...recordedReview('pod-create'),
        request: { ...recordedReview('pod-create').request, operation: 'DELETE', object: null },
      }),
    ],
    [
      'a subresource',
      () => ({
        ...recordedReview('pod-create'),
        request: { ...recordedReview('pod-create').request, subResource: 'binding' },
      }),
    ],
    [
      'another kind',
      () => {
        const r = recordedReview('pod-create');
        return {
          ...r,
          request: { ...r.request, kind: { group: 'apps', version: 'v1', kind: 'Deployment' } },
        };
      },
    ],
  ])('allows %s unchanged', (_what, review) => {
    const answer = answerReview(review(), ctx);
    expect(response(answer)).toEqual({ uid: expect.any(String), allowed: true });
    expect(answer.outcome).toEqual({ result: 'ignored', reason: 'not-a-pod-create' });
  });

  it.each<[string, unknown, string]>([
    ['null', null, 'invalid AdmissionReview: (root)'],
    ['a string', 'hello', 'invalid AdmissionReview: (root)'],
    ['v1beta1', { ...recordedReview('pod-create'), apiVersion: 'admission.k8s.io/v1beta1' }, 'apiVersion'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request'],
    [
      'no uid',
      { ...recordedReview('pod-create'), request: { ...recordedReview('pod-create').request, uid: '' } },
      'request.uid',
    ],
    [
      'a bad operation',
      {
        ...recordedReview('pod-create'),
        request: { ...recordedReview('pod-create').request, operation: 'PATCH' },
      },
      'request.operation',
    ],
    [
      'a pod without containers',
      withObject({ metadata: {}, spec: { containers: [] } }),
      'invalid pod in request.object: spec.containers',
    ],
    ['a pod that is a list', withObject([]), 'invalid pod in request.object'],
    [
      'ports that are not a list',
      withObject({ spec: { containers: [{ name: 'a', ports: 'x' }] } }),
      'spec.containers.0.ports',
    ],
    [
      'labels that are not strings',
      withObject({ metadata: { labels: { a: 1 } }, spec: { containers: [{ name: 'a' }] } }),
      'metadata.labels.a',
    ],
  ])('answers 400 with the reason for %s', (_what, body, reason) => {
    const answer = answerReview(body, ctx);
    expect(answer.status).toBe(400);
    expect(answer.outcome).toEqual({ result: 'refused', reason: 'malformed' });
    if (answer.status === 400) expect(answer.body.message).toContain(reason);
  });
});
