import type { Controller } from './controller.js';
import { identityController } from './controllers/identity.js';
import { installController } from './controllers/install.js';
import { proxyConfigController } from './controllers/proxy-config.js';

/** Every controller the operator runs, one line each. */
export const controllers: readonly Controller[] = [
  installController(),
  proxyConfigController(),
  identityController(),
];
