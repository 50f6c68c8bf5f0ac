import type { Controller } from './controller.js';

/**
 * Every controller the operator runs, one line each. The reconcilers in src/reconcilers/ are wired in
 * here as they land, e.g. `proxyConfigController,`.
 */
export const controllers: readonly Controller[] = [];
