import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal content is equal bytes whatever order the
 * input arrived in. Arrays keep their order: builders sort them by their own keys.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** sha256 of the bytes, hex; what `trellis.dev/config-hash` holds. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
