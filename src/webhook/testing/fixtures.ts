import { readFileSync } from 'node:fs';

/** A recorded AdmissionReview from test/fixtures/webhook (see record.ts there), parsed afresh each call. */
export function recordedReview(name: string): {
  request: { uid: string; namespace: string; object: Record<string, unknown>; dryRun?: boolean };
} & Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/webhook/${name}.json`, import.meta.url), 'utf8'),
  );
}
