import type { ClusterWriter } from '../writer.js';
import type { DataPlanePlan } from './data-plane.js';
import { stampObject } from './workloads.js';

/**
 * Event names this process has recorded already, so a drifting pod is not re-posted on every
 * reconcile. Only the current plan's names are kept: the set stays as small as the drift. After an
 * operator restart the API server's duplicate-name refusal does the same job.
 */
export class RecordedEvents {
  #names = new Set<string>();

  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** Keeps only `current`'s names, then adds `recorded`. */
  update(current: readonly string[], recorded: readonly string[]): void {
    const keep = new Set(current);
    this.#names = new Set([...this.#names].filter((n) => keep.has(n)));
    for (const n of recorded) this.#names.add(n);
  }
}

/** Performs a plan's writes: its one workload stamp (server-side apply), then drift events not yet recorded. */
export async function applyDataPlane(
  writer: ClusterWriter,
  plan: DataPlanePlan,
  recorded: RecordedEvents,
): Promise<void> {
  if (plan.write) await writer.apply(stampObject(plan.write.stamp));
  const names = plan.events.map((e) => e.metadata.name ?? '');
  const fresh = plan.events.filter((e) => !recorded.has(e.metadata.name ?? ''));
  const done: string[] = [];
  try {
    for (const event of fresh) {
      await writer.recordEvent(event);
      done.push(event.metadata.name ?? '');
    }
  } finally {
    recorded.update(names, done);
  }
}
