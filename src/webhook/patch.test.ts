import jsonpatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import type { PodLike } from './decision.js';
import { injectPod } from './inject.js';
import { buildPatch, stripManagedFields } from './patch.js';
import { defaultSettings } from './settings.js';
import { recordedReview } from './testing/fixtures.js';

describe('the JSON patch', () => {
  it.each([
    ['pod-create', true],
    ['pod-create', false],
    ['pod-create-replicaset', true],
    ['pod-create-dry-run', false],
  ])('applied to the recorded %s (native %s) gives the injected pod', (fixture, native) => {
    const original = recordedReview(fixture).request.object;
    const result = injectPod(original as PodLike, {
      namespace: 'shop',
      defaultOptIn: 'namespace-label',
      settings: defaultSettings,
      native,
    });
    if (result.result !== 'injected') throw new Error(result.message);
    const patch = buildPatch(original, result.pod);
    expect(jsonpatch.validate(patch, original)).toBeUndefined();

    const patched = jsonpatch.applyPatch(structuredClone(original), patch, true, false).newDocument;
    // managedFields are the API server's: the patch leaves them exactly as they came.
    expect(patch.some((op) => op.path.startsWith('/metadata/managedFields'))).toBe(false);
    expect(patched).toEqual(result.pod);
    expect(stripManagedFields(patched)).not.toEqual(patched);
  });

  it('is empty when nothing changed', () => {
    const original = recordedReview('pod-create').request.object;
    expect(buildPatch(original, structuredClone(original))).toEqual([]);
  });

  it('escapes annotation keys (RFC 6901)', () => {
    const patch = buildPatch(
      { metadata: { annotations: {} } },
      { metadata: { annotations: { 'trellis.dev/status': 'x' } } },
    );
    expect(patch).toEqual([{ op: 'add', path: '/metadata/annotations/trellis.dev~1status', value: 'x' }]);
  });
});
