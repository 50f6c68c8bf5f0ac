import type { OutgoingHttpHeaders } from 'node:http';
import type { HeaderOps } from '../../../api/proxy-config-policies.js';

/**
 * Header changes of a rule, applied in Istio's order: set, then add, then remove. Names are already
 * lower case in the config; the edit works in place on Node's header object.
 */
export class HeaderEditor {
  readonly #set: ReadonlyArray<readonly [string, string]>;
  readonly #add: ReadonlyArray<readonly [string, string]>;
  readonly #remove: readonly string[];

  constructor(ops: HeaderOps | undefined) {
    this.#set = ops?.set ?? [];
    this.#add = ops?.add ?? [];
    this.#remove = ops?.remove ?? [];
  }

  get empty(): boolean {
    return this.#set.length + this.#add.length + this.#remove.length === 0;
  }

  apply(headers: OutgoingHttpHeaders): void {
    for (const [name, value] of this.#set) headers[name] = value;
    for (const [name, value] of this.#add) {
      const present = headers[name];
      if (present === undefined) headers[name] = value;
      else if (Array.isArray(present)) present.push(value);
      else headers[name] = [String(present), value];
    }
    for (const name of this.#remove) delete headers[name];
  }
}
