import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { ClusterWriter, ObjectRef, StatusPatch } from '../writer.js';

/** A ClusterWriter that records every call, so tests can count writes. */
export class RecordingWriter implements ClusterWriter {
  readonly applied: KubernetesObject[] = [];
  readonly statuses: StatusPatch[] = [];
  readonly deleted: ObjectRef[] = [];
  readonly events: CoreV1Event[] = [];

  async apply(obj: KubernetesObject): Promise<void> {
    this.applied.push(obj);
  }
  async applyStatus(patch: StatusPatch): Promise<void> {
    this.statuses.push(patch);
  }
  async delete(ref: ObjectRef): Promise<void> {
    this.deleted.push(ref);
  }
  async recordEvent(event: CoreV1Event): Promise<void> {
    this.events.push(event);
  }
}
