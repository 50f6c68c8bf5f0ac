import jsonpatch, { type Operation } from 'fast-json-patch';

/** The object without `metadata.managedFields`: server bookkeeping no patch of ours should touch. */
export function stripManagedFields<T>(obj: T): T {
  const copy = structuredClone(obj);
  const metadata = (copy as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  if (metadata && typeof metadata === 'object') delete metadata.managedFields;
  return copy;
}

/** RFC 6902 operations that turn `original` into `mutated`, both compared without managedFields. */
export function buildPatch(original: object, mutated: object): Operation[] {
  return jsonpatch.compare(stripManagedFields(original), stripManagedFields(mutated));
}
