import type { MeshObject } from '../observed.js';
import { type CompiledPolicies, compilePolicies } from './compile.js';
import { notInEffect, type PolicyOutcome, refusedWith, type Verdict } from './outcome.js';

/** One compilation of a set of mesh CRs; the caller builds the Services the references resolve against. */
export type Build<T extends { compiled: CompiledPolicies }> = (objects: readonly MeshObject[]) => T;

const generationOf = (o: MeshObject) => o.metadata.generation ?? 0;
const key = (o: Pick<PolicyOutcome, 'kind' | 'namespace' | 'name'>) => `${o.kind}/${o.namespace}/${o.name}`;

/**
 * The last accepted version of each mesh CR, by uid, so that an edit the API server let through but
 * the reconciler refuses does not take the CR's rules away: the version accepted before stays in the
 * proxy config, and the CR's Accepted condition is False and names the generation still in effect.
 *
 * Kept in the reconciler's memory only. After an operator restart nothing is remembered, and a CR that
 * is invalid by then is left out as a new one would be. Objects without a uid (not from the API server)
 * are never remembered.
 */
export class LastAccepted {
  readonly #byUid = new Map<string, MeshObject>();
  /** Each object's verdict compiled on its own, by reference: cached objects are replaced, never mutated. */
  readonly #alone = new WeakMap<MeshObject, Verdict>();

  /** Remembered objects: for tests and logs. */
  get size(): number {
    return this.#byUid.size;
  }

  /**
   * Compiles `objects` with every refused one replaced by its last accepted version. Refused means
   * refused on its own (schema, regex, weights), or Conflicted with an older CR after an edit; the
   * second needs the whole set, so a conflict costs one more build. Then remembers what was accepted.
   */
  compile<T extends { compiled: CompiledPolicies }>(objects: readonly MeshObject[], build: Build<T>): T {
    const replaced = new Map<MeshObject, { previous: MeshObject; refusal: Verdict }>();
    for (const obj of objects) {
      const refusal = this.#refusedAlone(obj);
      const previous = refusal && this.#previous(obj);
      if (refusal && previous) replaced.set(obj, { previous, refusal });
    }
    const effective = () => objects.map((o) => replaced.get(o)?.previous ?? o);
    let result = build(effective());
    const conflicted = this.#conflicted(objects, replaced, result.compiled.outcomes);
    if (conflicted.length > 0) {
      for (const [obj, entry] of conflicted) replaced.set(obj, entry);
      result = build(effective());
    }
    this.#remember(objects, replaced, result.compiled.outcomes);
    return {
      ...result,
      compiled: { ...result.compiled, outcomes: explain(result.compiled.outcomes, replaced) },
    };
  }

  #refusedAlone(obj: MeshObject): Verdict | undefined {
    let verdict = this.#alone.get(obj);
    if (!verdict) {
      verdict = compilePolicies({ objects: [obj], services: [] }).outcomes[0]?.accepted;
      if (!verdict) return undefined;
      this.#alone.set(obj, verdict);
    }
    return verdict.status === 'True' ? undefined : verdict;
  }

  /** The remembered version, when it is another generation than `obj` (the same one would fail alike). */
  #previous(obj: MeshObject): MeshObject | undefined {
    const uid = obj.metadata.uid;
    const previous = uid ? this.#byUid.get(uid) : undefined;
    return previous && generationOf(previous) !== generationOf(obj) ? previous : undefined;
  }

  #conflicted(
    objects: readonly MeshObject[],
    replaced: ReadonlyMap<MeshObject, unknown>,
    outcomes: readonly PolicyOutcome[],
  ): Array<[MeshObject, { previous: MeshObject; refusal: Verdict }]> {
    const byKey = new Map(outcomes.map((o) => [key(o), o]));
    return objects.flatMap((obj) => {
      if (replaced.has(obj)) return [];
      const outcome = byKey.get(key({ ...obj.metadata, kind: obj.kind }));
      const previous = this.#previous(obj);
      if (outcome?.accepted.reason !== 'Conflicted' || !previous) return [];
      return [[obj, { previous, refusal: outcome.accepted }]];
    });
  }

  #remember(
    objects: readonly MeshObject[],
    replaced: ReadonlyMap<MeshObject, unknown>,
    outcomes: readonly PolicyOutcome[],
  ): void {
    const accepted = new Set(outcomes.filter((o) => o.accepted.status === 'True').map(key));
    const present = new Set<string>();
    for (const obj of objects) {
      const uid = obj.metadata.uid;
      if (!uid) continue;
      present.add(uid);
      if (!replaced.has(obj) && accepted.has(key({ ...obj.metadata, kind: obj.kind }))) {
        this.#byUid.set(uid, obj);
      }
    }
    for (const uid of this.#byUid.keys()) if (!present.has(uid)) this.#byUid.delete(uid);
  }
}

/**
 * The verdicts of replaced objects as their conditions must read: Accepted False with the refusal and
 * the generation in effect, ResolvedRefs for that generation. A remembered version that is itself
 * refused now (a newer CR took its service) leaves the object simply refused.
 */
function explain(
  outcomes: readonly PolicyOutcome[],
  replaced: ReadonlyMap<MeshObject, { previous: MeshObject; refusal: Verdict }>,
): PolicyOutcome[] {
  const byKey = new Map(
    [...replaced].map(([obj, entry]) => [key({ ...obj.metadata, kind: obj.kind }), { obj, ...entry }]),
  );
  return outcomes.map((outcome) => {
    const entry = byKey.get(key(outcome));
    if (!entry) return outcome;
    const current = generationOf(entry.obj);
    if (outcome.accepted.status !== 'True') return { ...outcome, ...refusedWith(entry.refusal) };
    const detail = (entry.refusal.message ?? '').replace(notInEffect, '');
    const kept = generationOf(entry.previous);
    return {
      ...outcome,
      accepted: {
        status: 'False',
        reason: entry.refusal.reason,
        message: `generation ${current} is not in effect: ${detail}; generation ${kept} stays in effect`,
      },
      resolvedRefs: {
        ...outcome.resolvedRefs,
        message: `generation ${kept}: ${outcome.resolvedRefs.message}`,
      },
    };
  });
}
