import type { Controller } from './controller.js';
import { identityController } from './controllers/identity.js';
import { proxyConfigController } from './controllers/proxy-config.js';

/** Every controller the operator runs, one line each. */
export const controllers: readonly Controller[] = [proxyConfigController(), identityController()];
