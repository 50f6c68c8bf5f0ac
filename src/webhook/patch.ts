import jsonpatch, { type Operation } from 'fast-json-patch';

/**
 * The object without `metadata.managedFields`: server bookkeeping no patch of
 * ours should touch. Shallow: `compare` only reads, so nothing is cloned deeply.
 */
export function stripManagedFields<T>(obj: T): T {
  const metadata = (obj as { metadata?: unknown } | null)?.metadata;
  if (!metadata || typeof metadata !== 'object' || !('managedFields' in metadata)) return obj;
  const { managedFields: _dropped, ...rest } = metadata as Record<string, unknown>;
  return { ...obj, metadata: rest };
}

/** RFC 6902 operations that turn `original` into `mutated`, both compared without managedFields. */
export function buildPatch(original: object, mutated: object): Operation[] {
  return jsonpatch.compare(stripManagedFields(original), stripManagedFields(mutated));
}
